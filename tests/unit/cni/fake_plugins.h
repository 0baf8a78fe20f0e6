// A temporary CNI set-up for unit tests: conf dir, bin dir of fake plugins
// (shell scripts that record their environment and stdin and print canned
// output), cache dir. Each fake plugin writes, per command it gets:
//   log/<type>.<COMMAND>.stdin, log/<type>.<COMMAND>.env (its CNI_ variables)
// and appends "<type> <COMMAND>" to log/order; it prints canned/<type>.<COMMAND>
// (and canned/<type>.<COMMAND>.stderr to stderr) when present and exits with canned/<type>.<COMMAND>.exit (default 0);
// canned/<type>.<COMMAND>.hang makes it wait on a read that never completes;
// canned/<type>.<COMMAND>.once is printed (exit 1) by the first run only.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cni/cni.h"

namespace berth::cni::testing {

class FakeCni {
 public:
  FakeCni() {
    char tmpl[] = "/tmp/berth-cni-unit-XXXXXX";
    EXPECT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    for (const char* d : {"bin", "conf", "cache", "log", "canned"}) std::filesystem::create_directories(root_ + "/" + d);
  }
  ~FakeCni() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FakeCni(const FakeCni&) = delete;
  FakeCni& operator=(const FakeCni&) = delete;

  std::string dir(const std::string& name) const { return root_ + "/" + name; }

  NetworkOptions options() const {
    NetworkOptions o;
    o.conf_dirs = {dir("conf")};
    o.bin_dirs = {dir("bin")};
    o.cache_dir = dir("cache");
    o.plugin_timeout = std::chrono::milliseconds(10000);
    return o;
  }

  void add_plugin(const std::string& type) {
    std::string log = dir("log"), canned = dir("canned");
    std::string script = "#!/bin/sh\n"
                         "c=" + canned + "/" + type + ".$CNI_COMMAND\n"
                         "cat > " + log + "/" + type + ".$CNI_COMMAND.stdin\n"
                         "env | grep '^CNI_' | sort > " + log + "/" + type + ".$CNI_COMMAND.env\n"
                         "echo \"" + type + " $CNI_COMMAND\" >> " + log + "/order\n"
                         "if [ -e \"$c.hang\" ]; then exec cat \"$c.hang\"; fi\n"
                         "if [ -f \"$c.once\" ]; then cat \"$c.once\"; rm -f \"$c.once\"; exit 1; fi\n"
                         "if [ -f \"$c.stderr\" ]; then cat \"$c.stderr\" >&2; fi\n"
                         "if [ -f \"$c\" ]; then cat \"$c\"; "
                         "elif [ \"$CNI_COMMAND\" = VERSION ]; then "
                         "echo '{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.3.1\",\"0.4.0\",\"1.0.0\"]}'; fi\n"
                         "if [ -f \"$c.exit\" ]; then exit $(cat \"$c.exit\"); fi\n"
                         "exit 0\n";
    write(dir("bin") + "/" + type, script);
    ::chmod((dir("bin") + "/" + type).c_str(), 0755);
  }

  // What the plugin prints (and its exit status) for a command.
  void can(const std::string& type, const std::string& command, const std::string& output, int exit_status = 0) {
    write(dir("canned") + "/" + type + "." + command, output);
    if (exit_status != 0) write(dir("canned") + "/" + type + "." + command + ".exit", std::to_string(exit_status));
  }
  // Fails once with output (a CNI error), then answers as canned.
  void fail_once(const std::string& type, const std::string& command, const std::string& output) {
    write(dir("canned") + "/" + type + "." + command + ".once", output);
  }
  void can_stderr(const std::string& type, const std::string& command, const std::string& text) {
    write(dir("canned") + "/" + type + "." + command + ".stderr", text);
  }
  // The plugin blocks reading a FIFO nobody writes (until killed).
  void hang(const std::string& type, const std::string& command) {
    std::string fifo = dir("canned") + "/" + type + "." + command + ".hang";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  }

  void write_conf(const std::string& name, const std::string& text) { write(dir("conf") + "/" + name, text); }

  nlohmann::json stdin_of(const std::string& type, const std::string& command) const {
    return nlohmann::json::parse(read(dir("log") + "/" + type + "." + command + ".stdin"));
  }
  std::string env_of(const std::string& type, const std::string& command) const {
    return read(dir("log") + "/" + type + "." + command + ".env");
  }
  bool ran(const std::string& type, const std::string& command) const {
    return std::filesystem::exists(dir("log") + "/" + type + "." + command + ".stdin");
  }
  std::vector<std::string> order() const {
    std::vector<std::string> lines;
    std::istringstream in(read(dir("log") + "/order"));
    for (std::string line; std::getline(in, line);)
      if (line.find("VERSION") == std::string::npos) lines.push_back(line);
    return lines;
  }
  void clear_log() {
    std::filesystem::remove_all(dir("log"));
    std::filesystem::create_directories(dir("log"));
  }

  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string root_;
};

}  // namespace berth::cni::testing
