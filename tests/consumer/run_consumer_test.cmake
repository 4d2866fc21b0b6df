# ctest driver: install the build into a scratch prefix, extract the README's C++ example, build
# it as a separate project with find_package(khuyenhoc), and run it.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

execute_process(COMMAND ${CMAKE_COMMAND} --install ${KHUYENHOC_BINARY_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()

# The first ```cpp block of README.md is the example integrators copy.
file(READ ${KHUYENHOC_SOURCE_DIR}/README.md readme)
string(FIND "${readme}" "```cpp\n" start)
if(start EQUAL -1)
  message(FATAL_ERROR "README.md has no ```cpp example")
endif()
math(EXPR start "${start} + 7")
string(SUBSTRING "${readme}" ${start} -1 rest)
string(FIND "${rest}" "```" stop)
string(SUBSTRING "${rest}" 0 ${stop} example)
file(WRITE ${WORK_DIR}/readme_example.cpp "${example}")

execute_process(COMMAND ${CMAKE_COMMAND} -S ${KHUYENHOC_SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build
                        -G ${CMAKE_GENERATOR} -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
                        -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
                        -DCONSUMER_SOURCE=${WORK_DIR}/readme_example.cpp
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the consumer failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the consumer failed (${rc})")
endif()
execute_process(COMMAND ${WORK_DIR}/build/consumer
                WORKING_DIRECTORY ${KHUYENHOC_SOURCE_DIR}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the README's C++ example exited with ${rc}")
endif()
if(NOT out MATCHES "nominees")
  message(FATAL_ERROR "the README's C++ example did not print its summary")
endif()
