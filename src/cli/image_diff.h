// `berth image diff A B`: the daemon compares (POST /berth/v1/images/diff),
// the CLI says which inputs are archive files (made absolute: the daemon reads
// them where they lie) and renders the answer as container-diff's tables, or
// passes its JSON through.
#pragma once

#include <string>

#include "base/error.h"
#include "cli/template.h"

namespace berth::cli {

// What the CLI sends for one argument: "remote://REF" and "daemon://REF" as
// given; a path to an archive file absolute ("./a.tar", "a.tar.gz", "/x",
// or any name of an existing file); anything else is an image reference or ID.
// A path that cannot be opened is an error naming it.
Result<std::string> diff_input(const std::string& arg);

// The human form of the daemon's answer, one section per type.
std::string render_image_diff(const Json& result);

}  // namespace berth::cli
