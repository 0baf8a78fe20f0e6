// The build context the CLI sends: a directory as a tar, .dockerignore
// applied as the docker CLI applies it (the Dockerfile and .dockerignore are
// always sent; the daemon drops them if they are listed), every entry owned
// by 0:0 so the cache does not depend on who runs the build. Written with
// libarchive, loaded only by build (cli/libarchive.h).
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::cli {

struct ContextTar {
  UniqueFd fd;            // a memfd at offset 0
  uint64_t bytes = 0;
  uint64_t entries = 0;
  std::string dockerfile;  // its name in the tar (the daemon's `dockerfile` parameter)
};

// dir: the context directory. dockerfile: "" (DIR/Dockerfile), a path (as
// given to -f: relative to the current directory), or the content of a
// Dockerfile read from stdin (dockerfile_text set): one outside the context
// is added under a name of its own.
Result<ContextTar> tar_context(const std::string& dir, const std::string& dockerfile, bool dockerfile_is_text);

}  // namespace berth::cli
