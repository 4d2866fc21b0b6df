include(CMakePackageConfigHelpers)

install(TARGETS khuyenhoc khuyenhoc_warnings khuyenhoc_sanitizers
        EXPORT khuyenhocTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The rule engine's compiled program (detail/rules_program.hpp) is private to libkhuyenhoc:
# no public header includes it, and it is not installed as API.
install(DIRECTORY include/khuyenhoc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        PATTERN "rules_program.hpp" EXCLUDE)
install(FILES ${PROJECT_BINARY_DIR}/include/khuyenhoc/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/khuyenhoc)
if(TARGET khuyenhoc_cli)
  install(TARGETS khuyenhoc_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(KHUYENHOC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/khuyenhoc)
install(EXPORT khuyenhocTargets NAMESPACE khuyenhoc:: DESTINATION ${KHUYENHOC_CMAKE_DIR})
configure_package_config_file(cmake/khuyenhocConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/khuyenhocConfig.cmake
                              INSTALL_DESTINATION ${KHUYENHOC_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/khuyenhocConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/khuyenhocConfig.cmake
              ${PROJECT_BINARY_DIR}/khuyenhocConfigVersion.cmake
        DESTINATION ${KHUYENHOC_CMAKE_DIR})
