// What an input to `image diff` names, by its form: "remote://REF" a registry
// image, "daemon://REF" or a plain reference or ID an image in berthd's store,
// an absolute path an archive file (the CLI makes a relative path absolute).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::imagediff {

enum class InputKind { Daemon, Remote, Archive };

struct ImageInput {
  InputKind kind = InputKind::Daemon;
  std::string value;  // the reference, ID or path without its prefix
};

inline constexpr std::string_view kDaemonPrefix = "daemon://";
inline constexpr std::string_view kRemotePrefix = "remote://";

// InvalidArgument for an empty input or a prefix with nothing after it.
Result<ImageInput> parse_input(std::string_view input);

}  // namespace berth::imagediff
