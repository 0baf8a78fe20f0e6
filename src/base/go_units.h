// Docker's human units (github.com/docker/go-units), as `docker ps`, `docker
// images`, pull progress and container status texts print them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::go {

// HumanSizeWithPrecision: decimal units with `precision` significant digits
// (Go's %.*g): human_size(1049000) == "1.049MB", human_size(1234567, 3) ==
// "1.23MB". HumanSize is precision 4; docker-cli's tables use 3.
std::string human_size(double bytes, int precision = 4);
// BytesSize: binary units, 4 significant digits: bytes_size(1048576) == "1MiB".
std::string bytes_size(double bytes);
// HumanDuration of whole seconds: "Less than a second", "1 second",
// "About a minute", "3 minutes", "About an hour", "5 hours", "3 days",
// "2 weeks", "3 months", "2 years".
std::string human_duration(int64_t seconds);

// RAMInBytes: "64m", "1g", "512", "1.5GiB" -> bytes (binary multiples);
// InvalidArgument "invalid size: 'x'" / "invalid suffix: 'x'".
Result<int64_t> ram_in_bytes(std::string_view text);

}  // namespace berth::go
