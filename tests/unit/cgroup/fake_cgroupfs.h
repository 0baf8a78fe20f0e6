// A fake cgroupfs in a temp directory: hierarchies are plain directories of
// plain files. The Ops seam makes mkdir populate a new cgroup with its
// parent's files (as the kernel does), rmdir drop the files, and every write
// land in a log so tests can check values and their order.
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "runtime/cgroup/fs.h"

namespace berth::test {

class FakeCgroupFs {
 public:
  FakeCgroupFs() {
    char tmpl[] = "/tmp/berth-unit-cgroup-XXXXXX";
    root = ::mkdtemp(tmpl);
    ops_.emplace(make_ops());
  }
  ~FakeCgroupFs() {
    ops_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }

  std::string root;
  std::vector<std::pair<std::string, std::string>> writes;  // (path below root, value)
  std::set<std::string> refuse;  // file names whose writes fail with EINVAL

  std::string path(const std::string& rel) const { return root + "/" + rel; }

  // A hierarchy (or any cgroup) directory with the given files.
  void add_dir(const std::string& rel, const std::map<std::string, std::string>& files) {
    std::filesystem::create_directories(path(rel));
    for (const auto& [name, content] : files) put(rel + "/" + name, content);
  }
  void put(const std::string& rel, const std::string& content) {
    std::ofstream(path(rel), std::ios::trunc) << content;
  }
  std::string read(const std::string& rel) const {
    std::ifstream in(path(rel));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool exists(const std::string& rel) const { return std::filesystem::exists(path(rel)); }
  // Values written to a file below root, in order.
  std::vector<std::string> writes_to(const std::string& rel) const {
    std::vector<std::string> out;
    for (const auto& [p, v] : writes)
      if (p == rel) out.push_back(v);
    return out;
  }
  // Position of a write in the log, -1 if absent.
  int index_of(const std::string& rel, const std::string& value) const {
    for (size_t i = 0; i < writes.size(); ++i)
      if (writes[i].first == rel && writes[i].second == value) return static_cast<int>(i);
    return -1;
  }
  std::string write_file(const std::string& name, const std::string& text) {
    put(name, text);
    return path(name);
  }

 private:
  std::string rel_of(const std::string& p) const {
    return p.compare(0, root.size() + 1, root + "/") == 0 ? p.substr(root.size() + 1) : p;
  }

  static std::string base(const std::string& p) { return p.substr(p.find_last_of('/') + 1); }

  runtime::cgroup::detail::Ops make_ops() {
    runtime::cgroup::detail::Ops o;
    o.mkdir = [this](const std::string& p, mode_t m) {
      if (::mkdir(p.c_str(), m) != 0) return -1;
      std::string parent = p.substr(0, p.find_last_of('/'));
      for (const auto& e : std::filesystem::directory_iterator(parent)) {
        if (!e.is_regular_file()) continue;
        std::string name = e.path().filename();
        std::string content;
        // A new v1 cpuset is empty; v2 core files start fresh.
        if (name == "cpuset.cpus" || name == "cpuset.mems" || name == "cgroup.procs" ||
            name == "cgroup.subtree_control") {
          content = "";
        } else if (name == "cgroup.events") {
          content = "populated 0\nfrozen 0\n";
        } else {
          std::ifstream in(e.path());
          std::stringstream ss;
          ss << in.rdbuf();
          content = ss.str();
        }
        std::ofstream(p + "/" + name) << content;
      }
      return 0;
    };
    o.rmdir = [](const std::string& p) {
      std::error_code ec;
      if (!std::filesystem::is_directory(p, ec)) {
        errno = ENOENT;
        return -1;
      }
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_directory()) {
          errno = ENOTEMPTY;
          return -1;
        }
      for (const auto& e : std::filesystem::directory_iterator(p)) std::filesystem::remove(e.path(), ec);
      return ::rmdir(p.c_str());
    };
    o.write = [this](const std::string& p, std::string_view data) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(p, ec)) {
        errno = ENOENT;
        return -1;
      }
      if (refuse.count(base(p))) {
        errno = EINVAL;
        return -1;
      }
      writes.emplace_back(rel_of(p), std::string(data));
      std::string name = base(p);
      std::string dir = p.substr(0, p.find_last_of('/'));
      if (name == "cgroup.procs") {
        std::ofstream(p, std::ios::app) << data << "\n";
      } else {
        std::ofstream(p, std::ios::trunc) << data;
      }
      // The kernel finishes a freeze at once here.
      if (name == "cgroup.freeze")
        std::ofstream(dir + "/cgroup.events", std::ios::trunc)
            << "populated 1\nfrozen " << (data == "1" ? 1 : 0) << "\n";
      return 0;
    };
    return o;
  }

  std::optional<runtime::cgroup::detail::ScopedOps> ops_;
};

}  // namespace berth::test
