// `run` and `exec` in the foreground with process.terminal but no
// --console-socket (a person at a shell): the runtime receives the pty master
// itself and relays between it and its own stdin/stdout, in raw mode.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::runtime {

// A socket pair: give child_end() to the container process as its console
// socket; receive_master() after it has sent the pty master.
class ConsolePair {
 public:
  static Result<ConsolePair> make();
  int child_end() const { return child_.get(); }
  void close_child_end() { child_.reset(); }
  Result<UniqueFd> receive_master();

 private:
  UniqueFd parent_, child_;
};

// Relays stdin -> master and master -> stdout until pid exits; forwards the
// signals in `forward` (SIGWINCH resizes the pty). Returns the exit status.
Result<int> relay_terminal(pid_t pid, int pidfd, const sigset_t& forward, int master);

}  // namespace berth::runtime
