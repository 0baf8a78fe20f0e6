// Writing a tar's entries into a directory as Docker's chrootarchive.Untar
// does: the directory is the tree's root (names, symlinks and hard links
// all stay inside it; "../x" and "/x" land at x, as they do in the chroot),
// entries go through layer::EntryWriter (replace, merge, owner, mode,
// xattrs, times).
#pragma once

#include <archive.h>

#include <cstdint>
#include <functional>
#include <string>

#include "base/error.h"
#include "layer/tar_reader.h"

namespace berth::buildfs {

struct ExtractRules {
  std::string noun;  // how errors name an entry: `NOUN entry "x"`
  std::string root;  // and the tree: "... leaves ROOT"
  bool skip_devices = false;  // character and block devices are left out
  // Called after each entry is written (its data read to the end); an error stops the extraction.
  std::function<Result<void>(archive*, archive_entry*)> after_entry;
};

// Reads every entry of an opened reader into dir_fd. Returns the number of
// entries read (skipped ones included).
Result<uint64_t> extract_entries(archive* a, int dir_fd, const ExtractRules& rules,
                                 const layer::SourceError& source_error = {});

}  // namespace berth::buildfs
