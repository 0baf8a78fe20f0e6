// One --mount value (docker-cli's opts/mount.go: CSV "type=bind,src=...,dst=...")
// -> a HostConfig.Mounts entry as docker's JSON (Go's struct order, omitempty).
#pragma once

#include <string>

#include "base/error.h"
#include "cli/run_options.h"

namespace berth::cli {

// Relative sources ("./data") are made absolute against env.cwd().
Result<Json> parse_mount(const std::string& spec, const RunEnvironment& env);

}  // namespace berth::cli
