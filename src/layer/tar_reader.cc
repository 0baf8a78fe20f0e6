#include "layer/tar_reader.h"

#include "base/log.h"

namespace berth::layer {

Result<ArchiveReader> new_reader(TarStream kind) {
  ArchiveReader a(archive_read_new());
  if (!a) return fail(Errc::Internal, "allocating a tar reader");
  if (kind != TarStream::PlainTar) {
    archive_read_support_filter_gzip(a.get());
    archive_read_support_filter_bzip2(a.get());
    archive_read_support_filter_xz(a.get());
    archive_read_support_filter_zstd(a.get());
  }
  if (kind == TarStream::Decompressor) {
    archive_read_support_format_raw(a.get());
  } else {
    archive_read_support_format_tar(a.get());
    if (kind == TarStream::Tar) archive_read_support_format_empty(a.get());
  }
  return a;
}

Result<void> for_each_entry(archive* a, const std::string& what, const EntryFn& fn, const SourceError& source_error) {
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) return {};
    if (r == ARCHIVE_WARN) {
      log::warn("{}: {}", what, archive_error_string(a));
    } else if (r != ARCHIVE_OK) {
      if (source_error)
        if (auto err = source_error()) return std::unexpected(std::move(*err).wrap(what));
      const char* text = archive_error_string(a);
      return fail(Errc::InvalidArgument, what + ": " + (text ? text : "unreadable archive"));
    }
    TRYV(fn(e));
  }
}

}  // namespace berth::layer
