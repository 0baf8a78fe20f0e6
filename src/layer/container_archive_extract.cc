// PUT /containers/{id}/archive: extract a tar into a container directory.
// The entries are written by EntryWriter (entry_writer.h) with go-archive's
// Unpack rules on top (symlink breakout check, overwrite rules, ownership),
// every path resolved inside the container root.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <memory>

#include "base/strings.h"
#include "layer/archive_error.h"
#include "layer/container_archive.h"
#include "layer/entry_writer.h"
#include "layer/tar_reader.h"

namespace berth::layer {
namespace {

std::string show(const std::vector<std::string>& parts) { return "/" + join(parts, "/"); }

struct SourceReader {
  const TarSource* source;
  std::unique_ptr<char[]> buf{new char[kSize]};
  std::optional<Error> error;
  static constexpr size_t kSize = 256 * 1024;

  static la_ssize_t read(archive*, void* self, const void** out) {
    auto* s = static_cast<SourceReader*>(self);
    auto n = (*s->source)(s->buf.get(), kSize);
    if (!n) {
      s->error = std::move(n.error());
      return -1;
    }
    *out = s->buf.get();
    return static_cast<la_ssize_t>(*n);
  }
};

Result<void> extract(int root, const std::string& dest_dir, const ExtractOptions& options,
                     const std::function<int(archive*)>& open, SourceReader* reader) {
  using namespace container_fs;
  // The destination: every symlink followed, the last one too, so that a
  // link to a directory can be extracted into.
  auto parts = clean_parts(dest_dir);
  auto d = TRY(resolve(root, parts, /*follow_last=*/true));
  if (!d.leaf_exists) return fail(Errc::NotFound, show(parts) + ": no such file or directory", ENOENT);
  struct stat st;
  int rc = d.leaf.empty() ? ::fstat(d.dir.get(), &st) : ::fstatat(d.dir.get(), d.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return fail_errno("stat " + show(parts));
  if (!S_ISDIR(st.st_mode))
    return fail(Errc::InvalidArgument, "extraction point is not a directory: " + show(parts));

  auto a = TRY(new_reader(TarStream::Tar));
  std::string what = "extracting into " + show(d.parts);
  auto source_error = [&]() -> std::optional<Error> {
    if (!reader || !reader->error) return std::nullopt;
    return std::move(*reader->error);
  };
  if (open(a.get()) != ARCHIVE_OK) {
    if (auto err = source_error()) return std::unexpected(std::move(*err).wrap("reading the archive"));
    return fail(Errc::InvalidArgument, std::string("reading the archive: ") + archive_message(a.get()));
  }
  // In a container's tree: its own links such as "../../.." mean its root,
  // and a name may not climb out of the destination, as go-archive's Unpack.
  EntryWriter writer(root, EntryPolicy{.base = join(d.parts, "/"),
                                       .clamp_dotdot = true,
                                       .owner = options.owner,
                                       .map_owner = options.map_owner,
                                       .no_overwrite_dir_non_dir = options.no_overwrite_dir_non_dir,
                                       .refuse_symlinks_leaving_base = true,
                                       .naming = {"archive", show(d.parts)}});
  TRYV(for_each_entry(
      a.get(), what,
      [&](archive_entry* e) -> Result<void> {
        auto path = TRY_CTX(writer.admit(e), what);
        TRYV_CTX(writer.write(a.get(), e, path), what);
        return {};
      },
      source_error));
  return writer.finish();
}

}  // namespace

Result<void> extract_archive(int root, const std::string& dest_dir, int tar_fd, const ExtractOptions& options) {
  return extract(root, dest_dir, options,
                 [&](archive* a) { return archive_read_open_fd(a, tar_fd, 256 * 1024); }, nullptr);
}

Result<void> extract_archive(int root, const std::string& dest_dir, const TarSource& source,
                             const ExtractOptions& options) {
  SourceReader reader;
  reader.source = &source;
  return extract(root, dest_dir, options,
                 [&](archive* a) { return archive_read_open(a, &reader, nullptr, &SourceReader::read, nullptr); },
                 &reader);
}

}  // namespace berth::layer
