// run / create: their flags (docker-cli 28's table) bound to RunOptions.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/run_options.h"

namespace berth::cli {

// `is_run`: run's own flags (-d, --rm's help, --detach-keys, --sig-proxy) too.
void add_run_flags(CLI::App* app, RunOptions& o, bool is_run);
// The image, then the command: CLI11's prefix mode leaves them in remaining().
void take_run_positionals(CLI::App* app, RunOptions& o);

}  // namespace berth::cli
