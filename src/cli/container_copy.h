// The copies behind `berth cp` and `berth compose cp` (cp.cc): a container's
// path to a local one ("-": a tar on stdout), or a local path ("-": a tar on
// stdin) into a container, with docker-cli's path rules.
#pragma once

#include <string>

#include "base/error.h"
#include "cli/cli.h"
#include "cli/cp_path.h"

namespace berth::cli {

// preserve: -a (the files' uid/gid); quiet: no "Successfully copied" line.
Result<int> copy_from_container(Cli& cli, const CpArg& src, const std::string& dst, bool preserve, bool quiet);
// follow: -L (the source's symlink is followed).
Result<int> copy_to_container(Cli& cli, const std::string& src, const CpArg& dst, bool preserve, bool follow,
                              bool quiet);

}  // namespace berth::cli
