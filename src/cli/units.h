// Docker's human units (github.com/docker/go-units) and the small text
// helpers docker-cli's formatters use, so tables read the same as docker's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/go_units.h"

namespace berth::cli {

// go::human_size with docker-cli's table precision (3) by default;
// HumanSize is precision 4.
std::string human_size(double bytes, int precision = 3);
using go::bytes_size;      // "1MiB"
using go::human_duration;  // "Less than a second", "About a minute", "3 hours"...

// "64m", "1g", "512", "1.5GiB" -> bytes (binary multiples, as RAMInBytes).
Result<int64_t> parse_ram_bytes(std::string_view text);
// "1.5" -> 1500000000 nano CPUs, exact or refused (as docker-cli's NanoCPUs).
Result<int64_t> parse_nano_cpus(std::string_view text);

// "sha256:abc..." or "abc..." -> the first 12 hex digits.
std::string short_id(std::string_view id);
// At most max_chars characters (UTF-8 aware), ending in "…" when cut.
std::string ellipsis(std::string_view text, size_t max_chars);
// Go's strconv.Quote: double quotes, escapes for quotes, backslashes and
// non-printable characters.
std::string go_quote(std::string_view text);
// Go's time.Time.String() for a Unix time, in local time:
// "2024-05-01 10:20:30 +0200 CEST".
std::string go_time_string(int64_t unix_seconds);
// RFC 3339 timestamp ("2024-05-01T10:20:30.123456789Z") -> Unix seconds (go::parse_rfc3339).
Result<int64_t> parse_rfc3339(std::string_view text);
// docker's --since/--until values: Unix seconds ("1700000000[.nnn]"),
// RFC 3339 dates, or durations relative to now ("10m", "1h30m", "2s"):
// go::docker_timestamp with a reference in whole seconds.
Result<std::string> timestamp_arg(std::string_view value, int64_t now);

}  // namespace berth::cli
