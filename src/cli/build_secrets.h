// berth build --secret id=ID[,src=FILE|,env=VAR][,type=file|env]: the
// secrets RUN --mount=type=secret reads, sent to the daemon in the
// X-Berth-Build-Secrets header (never in the context, the query or a log).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace berth::cli {

// The header's value for these --secret flags ("" for none). As buildx: no
// src and no env reads the environment variable named ID if it is set,
// else the file ID.
Result<std::string> secrets_header(const std::vector<std::string>& specs);

}  // namespace berth::cli
