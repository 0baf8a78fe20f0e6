#include "image/archive_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>

namespace berth::image {
namespace {

constexpr int64_t kMaxInMemory = 4 << 20;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

Error archive_error(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return Error{Errc::InvalidArgument, 0, what + ": " + (msg ? msg : "unknown libarchive error")};
}

Result<std::string> normalize(std::string_view p) {
  while (p.starts_with("./")) p.remove_prefix(2);
  while (p.starts_with("/")) p.remove_prefix(1);
  while (p.ends_with("/")) p.remove_suffix(1);
  std::string out;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    auto comp = p.substr(start, end - start);
    if (comp == "..") return fail(Errc::InvalidArgument, "archive entry " + std::string(p) + " leaves the archive");
    if (!comp.empty() && comp != ".") out += (out.empty() ? "" : "/") + std::string(comp);
    start = end + 1;
  }
  return out;
}

bool keep_in_memory(const std::string& path, int64_t size) {
  if (size > kMaxInMemory || path.starts_with("blobs/")) return false;
  // Only metadata by name: a small layer must still land in the store.
  auto base = path.substr(path.rfind('/') + 1);
  return base.ends_with(".json") || base == "json" || base == "repositories" ||
         base == "oci-layout" || base == "VERSION";
}

}  // namespace

Result<content::Digest> ArchiveContents::blob(const std::string& path) const {
  std::string p = path;
  for (int hops = 0; hops < 16; ++hops) {
    p = TRY(normalize(p));
    if (auto it = blobs.find(p); it != blobs.end()) return it->second;
    auto l = links.find(p);
    if (l == links.end()) return fail(Errc::NotFound, "archive has no file " + path);
    // Relative links resolve against the link's directory.
    auto dir = p.rfind('/') == std::string::npos ? std::string() : p.substr(0, p.rfind('/') + 1);
    p = l->second.starts_with("/") ? l->second : dir + l->second;
  }
  return fail(Errc::InvalidArgument, "too many symlinks resolving " + path + " in the archive");
}

Result<ArchiveContents> read_archive(int fd, content::Store& store) {
  ArchivePtr a(archive_read_new());
  archive_read_support_format_tar(a.get());
  archive_read_support_filter_all(a.get());  // docker save | gzip is common
  if (archive_read_open_fd(a.get(), fd, 1 << 20) != ARCHIVE_OK)
    return std::unexpected(archive_error(a.get(), "opening archive"));
  ArchiveContents out;
  archive_entry* e = nullptr;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return std::unexpected(archive_error(a.get(), "reading archive"));
    std::string path = TRY(normalize(archive_entry_pathname(e) ? archive_entry_pathname(e) : ""));
    auto type = archive_entry_filetype(e);
    if (type == AE_IFLNK) {
      out.links[path] = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
      continue;
    }
    if (const char* hl = archive_entry_hardlink(e)) {
      out.links[path] = "/" + TRY(normalize(hl));
      continue;
    }
    if (type != AE_IFREG) continue;
    int64_t size = archive_entry_size(e);
    auto read_chunks = [&](auto&& sink) -> Result<void> {
      const void* buf;
      size_t len;
      la_int64_t off;
      for (;;) {
        int rr = archive_read_data_block(a.get(), &buf, &len, &off);
        if (rr == ARCHIVE_EOF) return {};
        if (rr != ARCHIVE_OK && rr != ARCHIVE_WARN)
          return std::unexpected(archive_error(a.get(), "reading archive entry " + path));
        TRYV(sink(std::string_view(static_cast<const char*>(buf), len)));
      }
    };
    if (keep_in_memory(path, size)) {
      std::string data;
      TRYV(read_chunks([&](std::string_view c) -> Result<void> { data += c; return {}; }));
      out.files[path] = std::move(data);
      continue;
    }
    // blobs/<alg>/<hex> must hash to its name; other files are stored by content.
    std::optional<content::Digest> expected;
    if (path.starts_with("blobs/") && std::count(path.begin(), path.end(), '/') == 2) {
      auto alg = path.substr(6, path.rfind('/') - 6);
      auto d = content::Digest::from_parts(alg, path.substr(path.rfind('/') + 1));
      if (!d) return std::unexpected(std::move(d.error()).wrap("archive entry " + path));
      expected = *d;
    }
    auto w = expected ? TRY(store.writer(*expected, static_cast<uint64_t>(size))) : TRY(store.writer());
    TRYV_CTX(read_chunks([&](std::string_view c) { return w.write(c); }), "archive entry " + path);
    auto d = w.commit();
    if (!d) {
      return std::unexpected(std::move(d.error()).wrap(
          "archive entry " + path + (expected ? ": content does not match its digest" : "")));
    }
    out.blobs.insert_or_assign(path, *d);
  }
  return out;
}

Result<void> decompress(int fd, const std::function<Result<void>(std::string_view)>& out) {
  ArchivePtr a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open_fd(a.get(), fd, 1 << 20) != ARCHIVE_OK)
    return std::unexpected(archive_error(a.get(), "opening layer for decompression"));
  archive_entry* e = nullptr;
  int r = archive_read_next_header(a.get(), &e);
  if (r == ARCHIVE_EOF) return {};  // empty input
  if (r != ARCHIVE_OK) return std::unexpected(archive_error(a.get(), "decompressing layer"));
  std::string buf(1 << 20, '\0');
  for (;;) {
    la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
    if (n < 0) return std::unexpected(archive_error(a.get(), "decompressing layer"));
    if (n == 0) return {};
    TRYV(out(std::string_view(buf.data(), static_cast<size_t>(n))));
  }
}

}  // namespace berth::image
