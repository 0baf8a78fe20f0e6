// Small string helpers used across modules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

std::vector<std::string> split(std::string_view s, char sep, bool skip_empty = false);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view trim(std::string_view s);
// The value of a hex digit (either case); -1 for any other character.
int hex_value(char c);
// ASCII letters lowercased (header names, schemes, platforms: never locale-dependent).
std::string ascii_lower(std::string_view s);
std::optional<int64_t> parse_int(std::string_view s);
std::optional<uint64_t> parse_uint(std::string_view s);

}  // namespace berth
