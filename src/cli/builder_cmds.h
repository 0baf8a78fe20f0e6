// The `berth builder` group.
#pragma once

#include "cli/command.h"

namespace berth::cli {

void add_builder_commands(Invocation& inv, CLI::App* builder);

}  // namespace berth::cli
