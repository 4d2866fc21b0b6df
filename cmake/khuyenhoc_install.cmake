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
# The C ABI's shared library (libkhuyenhoc_c.so.<abi>) and its pkg-config file, installed next
# to the CMake package (lib/pkgconfig beside lib/cmake): `pkg-config --cflags --libs khuyenhoc`.
install(TARGETS khuyenhoc_c
        EXPORT khuyenhocTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(KHUYENHOC_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(KHUYENHOC_PC_LIBDIR "\${exec_prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(KHUYENHOC_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(KHUYENHOC_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# Relocatable: the prefix is found from the .pc file's own directory (pkg-config's pcfiledir),
# so `cmake --install --prefix DIR` gives a working file whatever DIR is.
file(RELATIVE_PATH KHUYENHOC_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" KHUYENHOC_PC_TO_PREFIX "${KHUYENHOC_PC_TO_PREFIX}")
configure_file(cmake/khuyenhoc.pc.in ${PROJECT_BINARY_DIR}/khuyenhoc.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/khuyenhoc.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

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
