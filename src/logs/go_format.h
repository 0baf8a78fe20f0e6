// Go's encodings as Docker's json-file logs use them: strings escaped the way
// moby's jsonlog marshaller does, and times in RFC 3339 with nanoseconds
// (Go's time.RFC3339Nano: trailing zeros of the fraction dropped).
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace berth::logs {

// Appends bytes as a JSON string (with the quotes): \" \\ \n \r, other control
// characters and < > & as \u00XX, U+2028/U+2029 escaped, each invalid UTF-8
// byte as \ufffd.
void append_go_json_string(std::string& out, std::string_view bytes);

// Appends t (UTC) as "2006-01-02T15:04:05.999999999Z" (without quotes).
void append_go_time(std::string& out, const timespec& t);

// Parses RFC 3339 ("Z" or a +hh:mm offset, 0-9 fraction digits) to
// nanoseconds since the epoch.
std::optional<int64_t> parse_rfc3339_ns(std::string_view s);

}  // namespace berth::logs
