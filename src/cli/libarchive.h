// libarchive, loaded only by the commands that need it (cp, build): berth's other
// commands start without it and the 12 shared libraries it pulls in (nettle,
// acl, the compressors, xml2, icu and a dynamic libstdc++), which cost most
// of a `berth ps` start. The header gives
// the types and constants; the functions come from dlopen("libarchive.so.13")
// with libarchive's own signatures, so a wrong one fails to compile.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "base/error.h"

namespace berth::cli {

// Every libarchive function berth calls.
#define BERTH_LIBARCHIVE_FUNCTIONS(X)                                                                          \
  X(archive_error_string) X(archive_read_new) X(archive_read_free) X(archive_read_support_format_tar)           \
  X(archive_read_open_fd) X(archive_read_next_header) X(archive_read_next_header2) X(archive_read_data_block)   \
  X(archive_read_disk_new) X(archive_read_disk_set_standard_lookup) X(archive_read_disk_set_symlink_hybrid)     \
  X(archive_read_disk_set_symlink_physical) X(archive_read_disk_open) X(archive_read_disk_descend)              \
  X(archive_write_new) X(archive_write_free) X(archive_write_set_format_pax_restricted) X(archive_write_open_fd) \
  X(archive_write_header) X(archive_write_data) X(archive_write_data_block) X(archive_write_finish_entry)        \
  X(archive_write_close) X(archive_write_disk_new) X(archive_write_disk_set_options)                            \
  X(archive_write_disk_set_standard_lookup) X(archive_entry_new) X(archive_entry_free)                          \
  X(archive_entry_pathname) X(archive_entry_set_pathname) X(archive_entry_hardlink)                             \
  X(archive_entry_set_hardlink) X(archive_entry_filetype) X(archive_entry_size) X(archive_entry_sourcepath)      \
  X(archive_entry_copy_stat) X(archive_entry_set_uid) X(archive_entry_set_gid) X(archive_entry_set_uname)       \
  X(archive_entry_set_gname) X(archive_entry_set_symlink) X(archive_entry_set_size) X(archive_entry_set_filetype) \
  X(archive_entry_set_perm) X(archive_entry_set_mtime)

struct LibArchive {
#define BERTH_LIBARCHIVE_MEMBER(name) decltype(&::name) name = nullptr;
  BERTH_LIBARCHIVE_FUNCTIONS(BERTH_LIBARCHIVE_MEMBER)
#undef BERTH_LIBARCHIVE_MEMBER
};

inline constexpr const char* kLibArchiveSoname = "libarchive.so.13";

// Opens `soname` and resolves every function; Unavailable naming the library
// (and the missing symbol) when it cannot. The library stays loaded.
Result<LibArchive> load_libarchive(const char* soname);
// libarchive.so.13, loaded on the first call of the process.
Result<const LibArchive*> libarchive();

}  // namespace berth::cli
