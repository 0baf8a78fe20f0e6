// Crafts layer tars in memory with libarchive's write API (shared by the unit
// and integration layer tests).
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layer/layer.h"

namespace layer_test {

enum class Compression { None, Gzip, Zstd };

struct TarEntry {
  std::string name;
  unsigned type = AE_IFREG;
  int perm = 0644;
  std::string data;
  std::string symlink;   // for AE_IFLNK
  std::string hardlink;  // when set: a hard link to this name
  int64_t uid = 0, gid = 0;
  time_t mtime = 1700000000;
  long mtime_ns = 0;
  unsigned rdev_major = 0, rdev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

inline TarEntry file(std::string name, std::string data, int perm = 0644) {
  TarEntry e;
  e.name = std::move(name);
  e.data = std::move(data);
  e.perm = perm;
  return e;
}
inline TarEntry dir(std::string name, int perm = 0755) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFDIR;
  e.perm = perm;
  return e;
}
inline TarEntry slink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFLNK;
  e.perm = 0777;
  e.symlink = std::move(target);
  return e;
}
inline TarEntry hlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.hardlink = std::move(target);
  return e;
}

inline la_ssize_t append_cb(archive*, void* p, const void* buf, size_t len) {
  static_cast<std::string*>(p)->append(static_cast<const char*>(buf), len);
  return static_cast<la_ssize_t>(len);
}

inline std::string make_tar(const std::vector<TarEntry>& entries, Compression c = Compression::None) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (c == Compression::Gzip) archive_write_add_filter_gzip(a);
  if (c == Compression::Zstd) archive_write_add_filter_zstd(a);
  archive_write_set_bytes_in_last_block(a, 1);  // same plain bytes whatever the filter
  archive_write_open(a, &out, nullptr, append_cb, nullptr);
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.perm);
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, t.mtime_ns);
    if (!t.symlink.empty()) archive_entry_set_symlink(e, t.symlink.c_str());
    if (!t.hardlink.empty()) archive_entry_set_hardlink(e, t.hardlink.c_str());
    if (t.type == AE_IFCHR || t.type == AE_IFBLK) {
      archive_entry_set_rdevmajor(e, t.rdev_major);
      archive_entry_set_rdevminor(e, t.rdev_minor);
    }
    for (const auto& [k, v] : t.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    archive_entry_set_size(e, t.type == AE_IFREG && t.hardlink.empty() ? t.data.size() : 0);
    archive_write_header(a, e);
    if (!t.data.empty()) archive_write_data(a, t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// The bytes as a readable fd (a memfd at offset 0).
inline int fd_of(const std::string& bytes) {
  int fd = memfd_create("layer", MFD_CLOEXEC);
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

inline berth::Result<berth::layer::ApplyResult> apply_bytes(const std::string& bytes,
                                                            const std::string& dir,
                                                            const berth::layer::ApplyOptions& o = {}) {
  int fd = fd_of(bytes);
  auto r = berth::layer::apply(fd, dir, o);
  ::close(fd);
  return r;
}

inline std::string temp_dir(const char* tag) {
  const char* base = std::getenv("TMPDIR");
  std::string t = std::string(base && *base ? base : "/tmp") + "/berth-layer-" + tag + "-XXXXXX";
  if (!::mkdtemp(t.data())) return "";
  return t;
}

inline bool dir_is_empty(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return false;
  int n = 0;
  while (dirent* de = ::readdir(d)) {
    std::string s = de->d_name;
    if (s != "." && s != "..") ++n;
  }
  ::closedir(d);
  return n == 0;
}

inline void remove_all(const std::string& path) {
  if (path.empty()) return;
  std::string cmd = "rm -rf '" + path + "'";
  (void)std::system(cmd.c_str());
}

}  // namespace layer_test
