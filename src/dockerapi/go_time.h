// Docker's human time forms for the API's rendered views.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::dockerapi {

// RFC 3339 ("2026-12-06T07:00:00.123456789Z") -> unix seconds.
std::optional<int64_t> unix_seconds(std::string_view rfc3339);
// go-units HumanDuration: "Less than a second", "About a minute", "3 hours", ...
std::string human_duration(int64_t seconds);

}  // namespace berth::dockerapi
