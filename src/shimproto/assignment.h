// What a standby shim is told to do. berthd keeps one berth-shim started
// ahead of need (`berth-shim --standby`, task/shim_standby.h): it has paid for
// its exec, loader and start-up already, and waits on its fd 3 for a Launch
// frame carrying this. Then it runs as if started with these arguments.
//   {"args": ["berth-shim", "--id", "c1", ...], "log": "/run/.../shim.log"}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::shimproto {

// How a standby is started: `berth-shim --standby` and this many empty
// arguments, the room for the command line it shows once it has work.
inline constexpr char kStandbyFlag[] = "--standby";
inline constexpr int kStandbyArgSpace = 2048;

struct Assignment {
  std::vector<std::string> args;  // the command line it would have had, argv[0] first
  std::string log_path;           // becomes its stderr (opened O_APPEND, created 0600)

  std::string encode() const;
  // InvalidArgument for anything but an object with a non-empty array of
  // strings "args" and a non-empty string "log".
  static Result<Assignment> decode(std::string_view payload);
};

}  // namespace berth::shimproto
