// Helpers for tests that drive the real berth-runtime binary on the real
// kernel (root): busybox bundles in temp dirs, a private state root, and a
// runner that captures the exit status and output of each command.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/paths.h"

namespace berth::testing {

struct CmdResult {
  int status = -1;  // exit status, or 128+signal
  std::string out, err;
};

// Runs argv (argv[0] a path), feeding `input` on stdin; extra_fds are passed
// at 3, 4, ... in the child.
CmdResult run_command(const std::vector<std::string>& argv, const std::string& input = "",
                      const std::vector<int>& extra_fds = {});

// A fresh busybox rootfs copy, built once per test process with tests/fixtures/make-rootfs.sh.
std::string make_rootfs(const std::string& dir);

class Bundle {
 public:
  Bundle();  // temp dir with rootfs/ and the default config (terminal off, args: true)
  ~Bundle();
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;

  const std::string& dir() const { return dir_; }
  std::string rootfs() const { return dir_ + "/rootfs"; }
  std::string state_root() const { return dir_ + "/state"; }
  nlohmann::json& config() { return config_; }
  void set_args(const std::vector<std::string>& args) { config_["process"]["args"] = args; }
  void save() const;  // writes config.json

  // berth-runtime --root <state> ARGS...
  CmdResult runtime(const std::vector<std::string>& args, const std::string& input = "",
                    const std::vector<int>& extra_fds = {}) const;
  // `run` of the current config with a fresh id; returns the result.
  CmdResult run(const std::string& id = "");
  std::string unique_id(const std::string& prefix = "c") const;

 private:
  std::string dir_;
  nlohmann::json config_;
  mutable std::vector<std::string> ids_;  // containers to force-delete at teardown
};

// Reads a whole file; "" if missing.
std::string slurp(const std::string& path);
// Lines of /proc/mounts that contain `needle`.
std::vector<std::string> mounts_containing(const std::string& needle);

}  // namespace berth::testing
