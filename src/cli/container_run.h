// run / create / start -a share these: the create request, and attaching
// to a container around its start.
#pragma once

#include <string>

#include "base/error.h"
#include "cli/cli.h"
#include "cli/run_options.h"

namespace berth::cli {

// docker-cli's exit status for a failed start: 127 when the command is not
// found, 126 when it cannot be invoked, else 125.
int start_error_status(const std::string& message);

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
// On a start failure `*start_failed` is set and the error returned.
Result<int> attach_and_start(Cli& cli, const AttachPlan& plan, bool* start_failed = nullptr);

}  // namespace berth::cli
