// The mode words of Dockerfile instructions (--chmod).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace berth::build {

// --chmod's octal mode ("755", "0644"); nullopt when it is not one (or above 07777).
std::optional<mode_t> parse_octal_mode(std::string_view text);

}  // namespace berth::build
