// A throwaway rootfs directory for specgen unit tests (no root needed).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace berth::specgen::testing {

class TempRoot {
 public:
  TempRoot() {
    char tmpl[] = "/tmp/berth-specgen-unit-XXXXXX";
    dir_ = ::mkdtemp(tmpl) ? tmpl : "";
    std::filesystem::create_directories(dir_ + "/rootfs/etc");
  }
  ~TempRoot() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;

  const std::string& dir() const { return dir_; }
  std::string rootfs() const { return dir_ + "/rootfs"; }
  void write(const std::string& rel, const std::string& text) const {
    auto path = std::filesystem::path(rootfs()) / rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  // A passwd and group like busybox's, plus an app user.
  void write_default_users() const {
    write("etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\n"
          "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
          "# a comment\n"
          "app:x:1000:1000:App:/home/app:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/home:/bin/false\n");
    write("etc/group",
          "root:x:0:\n"
          "daemon:x:1:\n"
          "wheel:x:10:root\n"
          "audio:x:29:app\n"
          "video:x:44:app,root\n"
          "app:x:1000:\n"
          "staff:x:50:\n");
  }

 private:
  std::string dir_;
};

}  // namespace berth::specgen::testing
