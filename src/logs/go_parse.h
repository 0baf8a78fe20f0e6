// Go's parsers as Docker applies them to log options, with Go's error
// messages: the daemon answers `docker run --log-opt` with the same words.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/error.h"

namespace berth::logs {

// docker/go-units FromHumanSize: a decimal number (fraction allowed) and an
// optional SI unit k, m, g, t, p (powers of 1000) with an optional "b" or
// "ib", case-insensitive, one space allowed before it: "10m", "1.5 kB", "2MiB"
// (still 2000000). Errors: "invalid size: '...'", "invalid suffix: '...'",
// strconv.ParseFloat's. Too large for int64 comes back negative, as Go on
// amd64 converts it.
Result<int64_t> from_human_size(std::string_view text);

// strconv.Atoi: an optional sign and decimal digits. "strconv.Atoi: parsing
// \"x\": invalid syntax" / "value out of range".
Result<int64_t> go_atoi(std::string_view text);

// strconv.ParseBool: 1 t T TRUE true True, 0 f F FALSE false False.
Result<bool> go_parse_bool(std::string_view text);

}  // namespace berth::logs
