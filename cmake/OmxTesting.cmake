# Helpers for registering tests. Every test has a timeout; exit code 77 means "skipped"
# (missing root or kernel feature) and is reported as such by ctest, never as a pass.

# omx_gtest(NAME SOURCES... LIBS ... [TIMEOUT s]) — a GoogleTest binary, each TEST a ctest case.
function(omx_gtest name)
  cmake_parse_arguments(A "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${A_TIMEOUT} SKIP_RETURN_CODE 77 ENVIRONMENT "OMX_BUILD=${CMAKE_BINARY_DIR}")
endfunction()

# omx_script_test(NAME SCRIPT [TIMEOUT s] [LABELS l...]) — a shell test; 77 = skipped.
# Tests find binaries through $OMX_BUILD (bin/, tests/programs/) and sources through $OMX_SRC.
function(omx_script_test name script)
  cmake_parse_arguments(A "" "TIMEOUT" "LABELS" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND bash ${script})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${A_TIMEOUT} SKIP_RETURN_CODE 77
    ENVIRONMENT "OMX_BUILD=${CMAKE_BINARY_DIR};OMX_SRC=${CMAKE_SOURCE_DIR};OMX_BIN=${CMAKE_BINARY_DIR}/bin;OMX_TEST_PROGRAMS=${CMAKE_BINARY_DIR}/tests/programs")
  if(A_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${A_LABELS}")
  endif()
endfunction()
