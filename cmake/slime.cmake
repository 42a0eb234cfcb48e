# Helpers shared by every folder's CMakeLists.txt.

# slime_add_layer(NAME DIR DEPS...): one static library per layer, built from every .cc in DIR.
# Globbing keeps adding a file free of CMake edits; CONFIGURE_DEPENDS re-globs on rebuild.
function(slime_add_layer name dir)
  file(GLOB _srcs CONFIGURE_DEPENDS ${dir}/*.cc)
  add_library(${name} STATIC ${_srcs})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARGN})
endfunction()

# slime_add_module(KIND DEPS...): a module library from src/slime/modules/KIND, registered in the
# module table (registry.cc) through its factory slime::KIND::make_module().
function(slime_add_module kind)
  slime_add_layer(slime_module_${kind} ${CMAKE_CURRENT_SOURCE_DIR} slime_core ${ARGN})
  set_property(GLOBAL APPEND PROPERTY SLIME_MODULES ${kind})
endfunction()

# slime_add_tests(DIR LABEL DEPS...): one GoogleTest executable per folder of *_test.cc files.
function(slime_add_tests dir label)
  file(GLOB _srcs CONFIGURE_DEPENDS ${dir}/*.cc)
  if(NOT _srcs)
    return()
  endif()
  file(RELATIVE_PATH _rel ${PROJECT_SOURCE_DIR}/test ${dir})
  string(REPLACE "/" "_" _name "${_rel}")
  add_executable(${_name} ${_srcs})
  target_link_libraries(${_name} PRIVATE ${ARGN} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${_name} PRIVATE SLIME_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                              SLIME_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${_name} PROPERTIES LABELS ${label} DISCOVERY_TIMEOUT 60)
endfunction()
