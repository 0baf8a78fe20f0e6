// `berth ui` (ui_cmd.cc): prints (and opens) the dashboard's login URL.
#pragma once

#include "cli/command.h"

namespace berth::cli {

void add_ui_command(Invocation& inv, CLI::App* root);

}  // namespace berth::cli
