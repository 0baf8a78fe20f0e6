// Where a rootless berthd keeps things (Docker rootless's and Podman's places):
// the socket at $XDG_RUNTIME_DIR/berth.sock, execution state under
// $XDG_RUNTIME_DIR/berth, images and containers under $XDG_DATA_HOME/berth
// (~/.local/share/berth), daemon.json under $XDG_CONFIG_HOME/berth
// (~/.config/berth).
#pragma once

#include <functional>
#include <string>

#include "base/error.h"

namespace berth::rootless {

struct Paths {
  std::string runtime_dir;  // $XDG_RUNTIME_DIR
  std::string socket;       // unix://$XDG_RUNTIME_DIR/berth.sock
  std::string exec_root;
  std::string data_root;
  std::string config_file;
};

// getenv by name; nullptr when unset. A seam for tests.
using Getenv = std::function<const char*(const char*)>;

// Fails naming the variable when XDG_RUNTIME_DIR (or HOME, when the XDG
// directories are not set) is missing or not an absolute path.
Result<Paths> default_paths(const Getenv& env);

}  // namespace berth::rootless
