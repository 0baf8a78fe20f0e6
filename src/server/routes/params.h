// Query parameters the route files share, parsed with Docker's rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"
#include "model/filters.h"
#include "server/http/server.h"

namespace berth::server {

// `filters`: {"key":["v",...]} or the old {"key":{"v":true}}; absent -> {}.
// Malformed -> InvalidArgument naming it.
Result<model::Filters> filters_param(const Request& req);
// Docker's `since`/`until` forms: unix seconds with an optional fraction
// ("1700000000.5"); nullopt when absent or "0" where zero means unset.
Result<std::optional<int64_t>> unix_time_param(const Request& req, const std::string& key, bool zero_is_unset);
// An integer parameter; InvalidArgument naming it when it is not one.
Result<std::optional<int64_t>> int_param(const Request& req, const std::string& key);
// A complete empty answer.
Result<void> no_content(ResponseWriter& w, int status);

}  // namespace berth::server
