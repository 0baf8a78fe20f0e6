// run / create / start -a share these: the create request, and attaching
// to a container around its start.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "cli/cli.h"
#include "cli/run_options.h"

namespace berth::cli {

// Attaches (as configured), sends wait, starts, pumps the streams and
// returns the container's exit status (0 when the user detached).
struct AttachPlan {
  std::string id;
  bool tty = false, stdin = false, stdout = true, stderr = true;
  bool auto_remove = false;
  bool sig_proxy = true;
  bool start = true;  // false: attach to a running container only
  std::string detach_keys;  // flag text ("ctrl-p,ctrl-q"), "" = default
};
// When the daemon refuses the start, its error is returned and, if asked,
// *refused_status is the exit status the container recorded for it (127 not
// found, 126 cannot be invoked; see start_status.h).
Result<int> attach_and_start(Cli& cli, const AttachPlan& plan, std::optional<int>* refused_status = nullptr);
// `attach`: a running, unpaused container's streams (stdin when it has one
// open and no_stdin is false); the container's exit status, or 0 on detach.
Result<int> attach_running(Cli& cli, const std::string& ref, bool no_stdin, bool sig_proxy,
                           const std::string& detach_keys);

}  // namespace berth::cli
