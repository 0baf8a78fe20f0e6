// The container process's stdio. The runtime's clone hands the new process
// the caller's fds 0/1/2, so the shim puts pipe ends there for the duration
// of create/exec; with a terminal the process opens a pty instead and the
// runtime sends its master over a console socket the shim listens on.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::shim {

class ContainerStdio {
 public:
  static Result<ContainerStdio> prepare(bool tty, bool open_stdin, int state_dirfd);

  // For CreateOptions/ExecOptions::console_socket ("" without a terminal).
  const std::string& console_socket() const { return console_path_; }
  // Puts the process's ends on fds 0/1/2; the shim's own stderr (shim.log)
  // moves to a spare fd and the runtime's log messages follow it.
  Result<void> install();
  // Puts /dev/null on 0/1 and shim.log back on 2, and closes the process's
  // ends: the shim sees EOF once the process and its children are gone.
  void restore();
  // With a terminal, after create/exec: takes the pty master the process sent.
  Result<void> receive_console();

  // What the monitor reads and writes (non-blocking). With a terminal `out`
  // is the pty master and `in` a duplicate of it (when stdin is open).
  UniqueFd out, err, in;
  bool tty = false;

 private:
  UniqueFd child_in_, child_out_, child_err_;
  UniqueFd saved_log_;
  UniqueFd console_listen_;
  int state_dirfd_ = -1;
  bool open_stdin_ = false;
  std::string console_path_;
};

}  // namespace berth::shim
