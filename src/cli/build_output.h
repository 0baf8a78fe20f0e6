// berth build --output (BuildKit's exporters, the two that need no
// registry): the built image's filesystem, flat, as a directory
// (type=local,dest=DIR) or a tar (type=tar,dest=FILE, or - for stdout).
// Made from the daemon's container export: a container created on the image
// (never started), GET /containers/ID/export, the container removed.
#pragma once

#include <string>

#include "base/error.h"
#include "cli/cli.h"

namespace berth::cli {

struct BuildOutput {
  enum class Kind { local, tar } kind = Kind::local;
  std::string dest;  // a directory, a file, or "-" (tar on stdout)
  bool to_stdout() const { return kind == Kind::tar && dest == "-"; }
};

// "type=local,dest=DIR", "type=tar,dest=FILE|-", or buildx's shorthands:
// "DIR" (local) and "-" (tar on stdout).
Result<BuildOutput> parse_build_output(const std::string& spec);

// Writes the image's filesystem where `out` says.
Result<void> export_build_output(Cli& cli, const std::string& image_id, const BuildOutput& out);

}  // namespace berth::cli
