# Included from tests/CMakeLists.txt when AGGPAY_FUZZ is on: builds tests/fuzz with clang++ into
# ${CMAKE_BINARY_DIR}/fuzz, and registers one CTest test per target under the label `fuzz`
# (a bounded run from a copy of the checked-in corpus, after every input of regressions/).
include(ExternalProject)

find_program(AGGPAY_CLANGXX NAMES clang++ clang++-14)
if(NOT AGGPAY_CLANGXX)
  message(FATAL_ERROR "AGGPAY_FUZZ: clang++ not found (Debian packages clang and "
                      "libclang-rt-14-dev; tools/aggpay setup installs them), or configure "
                      "with -DAGGPAY_FUZZ=OFF")
endif()

set(AGGPAY_FUZZ_SECONDS 8 CACHE STRING "How long each fuzz test of `ctest -L fuzz` fuzzes")
set(aggpay_fuzz_dir ${CMAKE_BINARY_DIR}/fuzz)
set(aggpay_fuzz_targets money signature code_url downloadbill terminal_request config cidr)

ExternalProject_Add(aggpay_fuzz
  SOURCE_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz
  BINARY_DIR ${aggpay_fuzz_dir}
  PREFIX ${CMAKE_BINARY_DIR}/fuzz-stamp
  CMAKE_GENERATOR Ninja
  CMAKE_ARGS -DCMAKE_CXX_COMPILER=${AGGPAY_CLANGXX} -DCMAKE_BUILD_TYPE=RelWithDebInfo
  BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> -j 2
  BUILD_ALWAYS TRUE
  INSTALL_COMMAND ""
  USES_TERMINAL_BUILD TRUE)

foreach(name ${aggpay_fuzz_targets})
  add_test(NAME fuzz_${name}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_fuzz.sh ${aggpay_fuzz_dir}/${name}_fuzz ${name}
                   ${AGGPAY_FUZZ_SECONDS})
  set_tests_properties(fuzz_${name} PROPERTIES LABELS fuzz TIMEOUT 120
    ENVIRONMENT "AGGPAY_SOURCE_DIR=${PROJECT_SOURCE_DIR};AGGPAY_BUILD_DIR=${CMAKE_BINARY_DIR}")
endforeach()

# The gateway's Authorization header parser is Go: Go's native fuzzing, same label.
add_test(NAME fuzz_authorization
         COMMAND ${CMAKE_COMMAND} -E env GO=${AGGPAY_GO}
                 ${PROJECT_SOURCE_DIR}/services/gateway/build.sh --fuzz FuzzParseAuthorization
                 ${AGGPAY_FUZZ_SECONDS} ${CMAKE_BINARY_DIR})
# The first run on a machine compiles the instrumented packages (about two minutes, then
# cached: services/gateway/build.sh).
set_tests_properties(fuzz_authorization PROPERTIES LABELS fuzz TIMEOUT 400)
