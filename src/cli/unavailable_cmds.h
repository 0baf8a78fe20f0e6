// Docker verbs this berth does not have yet: registries (pull, push, login,
// logout, search). They are real commands with docker-cli 28's
// usage and flags, so --help and scripts see them, and they say what is
// missing (exit status 1) instead of "unknown command".
#pragma once

#include <optional>
#include <string>

namespace berth::cli {

// "berth pull: pulling from registries is not available in this version of
// berth yet (images come from `berth load` or `berth import`)" for `path`
// "berth pull" / "berth image pull"; nullopt for a verb berth has.
std::optional<std::string> unavailable_message(const std::string& path);

}  // namespace berth::cli
