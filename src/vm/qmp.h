// A QMP client on a connected stream (a socketpair end QEMU got as its
// monitor): the greeting, capabilities negotiation, and commands answered in
// order. Events that arrive meanwhile are kept for the caller. Blocking: the
// runner calls it for pause/resume/quit, each answered at once by QEMU.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::vm {

class Qmp {
 public:
  explicit Qmp(int fd) : fd_(fd) {}
  // Reads the greeting and enters command mode.
  Result<void> handshake();
  // Runs one command; its "return" value, or its "error" as Internal.
  Result<nlohmann::json> execute(const std::string& command, nlohmann::json args = nullptr);
  // Events read while waiting for replies (SHUTDOWN, STOP, RESUME...), oldest first.
  std::vector<nlohmann::json> take_events();

 private:
  Result<nlohmann::json> read_message();
  int fd_;
  std::string buf_;
  std::vector<nlohmann::json> events_;
};

}  // namespace berth::vm
