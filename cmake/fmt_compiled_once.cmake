# fmt compiled once per build. The modules link fmt::fmt-header-only so that no
# binary needs Debian's shared libfmt (one library less for the loader of the
# runtime, started for every container). But header-only fmt compiles its whole
# formatting engine (fmt/format-inl.h) again in every translation unit that
# formats something: ~6 CPU-s more for each of about 70 of them, measured here.
# So the engine is compiled once, into the static library berth_fmt, and
# fmt::fmt-header-only is pointed at it: still no shared libfmt, same API.
option(BERTH_FMT_COMPILED_ONCE "Compile fmt's engine once (static) instead of in every source" ON)
if(NOT BERTH_FMT_COMPILED_ONCE)
  return()
endif()
add_library(berth_fmt STATIC ${CMAKE_CURRENT_LIST_DIR}/fmt_impl.cc)
set_target_properties(fmt::fmt-header-only PROPERTIES
  INTERFACE_COMPILE_DEFINITIONS ""
  INTERFACE_LINK_LIBRARIES berth_fmt)
