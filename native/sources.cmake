# Reads THE source list (native/sources.gypi, also used by binding.gyp) into
# PAKOSTII_SOURCES (absolute paths). Script mode prints it, one per line:
#   cmake -P native/sources.cmake
get_filename_component(_pk_native_dir "${CMAKE_CURRENT_LIST_FILE}" DIRECTORY)
file(READ "${_pk_native_dir}/sources.gypi" _pk_gypi)
# Drop comments, then keep every quoted *.cc / *.c name.
string(REGEX REPLACE "#[^\n]*" "" _pk_gypi "${_pk_gypi}")
string(REGEX MATCHALL "'[A-Za-z0-9_./-]+\\.(cc|c)'" _pk_quoted "${_pk_gypi}")
set(PAKOSTII_SOURCES "")
foreach(_pk_item IN LISTS _pk_quoted)
  string(REPLACE "'" "" _pk_item "${_pk_item}")
  list(APPEND PAKOSTII_SOURCES "${_pk_native_dir}/${_pk_item}")
endforeach()
if(NOT PAKOSTII_SOURCES)
  message(FATAL_ERROR "no sources found in ${_pk_native_dir}/sources.gypi")
endif()
if(CMAKE_SCRIPT_MODE_FILE)
  foreach(_pk_item IN LISTS PAKOSTII_SOURCES)
    file(RELATIVE_PATH _pk_rel "${_pk_native_dir}/.." "${_pk_item}")
    message(NOTICE "${_pk_rel}")
  endforeach()
endif()
