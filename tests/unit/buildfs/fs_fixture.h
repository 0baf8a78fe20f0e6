// Temporary trees and crafted archives for the buildfs tests (unit and
// integration): a directory that removes itself, files written with exact
// modes and times, tars in every compression COPY/ADD and the context meet.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../layer/tar_builder.h"  // TarEntry, file(), dir(), slink(), hlink(), make_tar()
#include "base/unique_fd.h"

namespace buildfs_test {

using layer_test::TarEntry;

// A temporary directory, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const char* tag) : path_(layer_test::temp_dir(tag)) {}
  ~TempDir() { layer_test::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }
  // An O_PATH fd of the directory (what the API takes as a root).
  berth::UniqueFd fd() const { return berth::UniqueFd(::open(path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)); }

 private:
  std::string path_;
};

inline void mkdirs(const std::string& path, mode_t mode = 0755) {
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = path.find('/', pos + 1);
    ::mkdir(path.substr(0, pos).c_str(), 0755);
  }
  ::chmod(path.c_str(), mode);
}

inline void put(const std::string& path, const std::string& text, mode_t mode = 0644, time_t mtime = 1600000000) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos) mkdirs(path.substr(0, slash));
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ::chmod(path.c_str(), mode);
  timespec t[2] = {{mtime, 0}, {mtime, 0}};
  ::utimensat(AT_FDCWD, path.c_str(), t, 0);
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing>";
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline struct stat lstat_of(const std::string& path) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  return st;
}

inline std::string link_of(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? "<not a link>" : std::string(buf, static_cast<size_t>(n));
}

enum class Filter { None, Gzip, Bzip2, Xz, Zstd };

// A tar of entries, compressed with filter.
inline std::string tar_of(const std::vector<TarEntry>& entries, Filter filter = Filter::None) {
  std::string plain = layer_test::make_tar(entries);
  if (filter == Filter::None) return plain;
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  switch (filter) {
    case Filter::Gzip: archive_write_add_filter_gzip(a); break;
    case Filter::Bzip2: archive_write_add_filter_bzip2(a); break;
    case Filter::Xz: archive_write_add_filter_xz(a); break;
    case Filter::Zstd: archive_write_add_filter_zstd(a); break;
    case Filter::None: break;
  }
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, layer_test::append_cb, nullptr);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(plain.size()));
  archive_write_header(a, e);
  archive_write_data(a, plain.data(), plain.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// A reader over bytes, step bytes at a time (the body as POST /build gives it).
inline auto reader_of(const std::string& bytes, size_t step = 1 << 20) {
  return [&bytes, step, pos = size_t{0}](char* buf, size_t len) mutable -> berth::Result<size_t> {
    size_t n = std::min({len, step, bytes.size() - pos});
    std::copy_n(bytes.data() + pos, n, buf);
    pos += n;
    return n;
  };
}

}  // namespace buildfs_test
