// The libarchive readers berth opens on tar streams, set up in one place,
// and the walk over their entries with one way of reporting errors.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"

namespace berth::layer {

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;

enum class TarStream {
  // Undoes any compression berth reads (gzip, bzip2, xz, zstd, or none) and
  // passes the bytes on (libarchive's "raw" format): layer blobs, whose
  // digests are taken before and after decompression.
  Decompressor,
  // A tar whose bytes are already plain (what a Decompressor produced).
  PlainTar,
  // A tar, compressed or not, decoded in one reader; an empty stream is an
  // empty archive (docker cp's PUT body).
  Tar,
};

// A reader for `kind`, not yet opened. Everything is decoded in-process (no
// helper programs).
Result<ArchiveReader> new_reader(TarStream kind);

// Calls fn for each entry of an opened reader, in order. A warning is
// logged (prefixed with `what`) and the entry still handed over; a read
// error is InvalidArgument "WHAT: <libarchive's text>", or the error the
// byte source reported (source_error) wrapped with `what`.
using EntryFn = std::function<Result<void>(archive_entry*)>;
using SourceError = std::function<std::optional<Error>()>;
Result<void> for_each_entry(archive* a, const std::string& what, const EntryFn& fn,
                            const SourceError& source_error = {});

}  // namespace berth::layer
