# Applied to every aggpay target (not to generated protobuf code, which has its own library).
function(aggpay_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(AGGPAY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
