// Helpers shared by the config_*_test.cc files: each of them checks that one
// group of config.json fields really takes effect on the real kernel.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/bundle.h"

namespace berth::testing::cfg {

using nlohmann::json;

// Removes linux.namespaces entries of this type.
inline void drop_namespace(json& config, const std::string& type) {
  json out = json::array();
  for (const auto& ns : config["linux"]["namespaces"])
    if (ns["type"] != type) out.push_back(ns);
  config["linux"]["namespaces"] = out;
}

// Adds (or replaces) a namespace of this type, joined by path when given.
inline void set_namespace(json& config, const std::string& type, const std::string& path = "") {
  drop_namespace(config, type);
  json ns = {{"type", type}};
  if (!path.empty()) ns["path"] = path;
  config["linux"]["namespaces"].push_back(ns);
}

inline json state_of(const Bundle& b, const std::string& id) {
  auto r = b.runtime({"state", id});
  if (r.status != 0 || r.out.empty()) return json::object();
  return json::parse(r.out);
}

// `run -d`; returns the container's pid (0 on failure, with a test failure).
inline int run_detached(Bundle& b, const std::string& id) {
  b.save();
  auto r = b.runtime({"run", "-d", "--bundle", b.dir(), id});
  EXPECT_EQ(r.status, 0) << r.err;
  if (r.status != 0) return 0;
  return state_of(b, id).value("pid", 0);
}

inline bool wait_stopped(const Bundle& b, const std::string& id, int ms = 5000) {
  for (int i = 0; i < ms / 10; ++i) {
    if (state_of(b, id).value("status", "") == "stopped") return true;
    usleep(10000);
  }
  return false;
}

inline ino_t inode_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

inline void write_text(const std::string& path, const std::string& text, mode_t mode = 0644) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// "Key:\tvalue" from a /proc/<pid>/status text.
inline std::string status_field(const std::string& status, const std::string& key) {
  for (const auto& line : lines_of(status))
    if (line.rfind(key + ":", 0) == 0) {
      auto v = line.substr(key.size() + 1);
      while (!v.empty() && (v.front() == '\t' || v.front() == ' ')) v.erase(0, 1);
      return v;
    }
  return "";
}

inline std::string cgroup_dir(const std::string& controller, const std::string& id) {
  return "/sys/fs/cgroup/" + controller + "/berth/" + id;
}

inline std::string read_trimmed(const std::string& path) { return trim(slurp(path)); }

}  // namespace berth::testing::cfg
