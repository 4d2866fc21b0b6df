# Warning and sanitizer flags, applied only to this project's own targets.
add_library(khuyenhoc_warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(khuyenhoc_warnings INTERFACE -Wall -Wextra -Wpedantic)
  if(KHUYENHOC_WERROR)
    target_compile_options(khuyenhoc_warnings INTERFACE -Werror)
  endif()
endif()

add_library(khuyenhoc_sanitizers INTERFACE)
if(KHUYENHOC_SANITIZE)
  list(JOIN KHUYENHOC_SANITIZE "," _khuyenhoc_san)
  target_compile_options(khuyenhoc_sanitizers INTERFACE -fsanitize=${_khuyenhoc_san}
                                                        -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(khuyenhoc_sanitizers INTERFACE -fsanitize=${_khuyenhoc_san})
endif()

# Attach the project's warning and sanitizer settings to a target of ours.
function(khuyenhoc_target_defaults target)
  target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:khuyenhoc_warnings>
                                          $<BUILD_INTERFACE:khuyenhoc_sanitizers>)
endfunction()
