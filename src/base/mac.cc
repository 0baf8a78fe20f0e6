#include "base/mac.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace berth {

namespace {

// The hex digits of `text` once its separators (`sep` every `group` digits)
// are checked and removed; empty when the layout is wrong.
std::string digits_of(std::string_view text, char sep, size_t group) {
  std::string digits;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((i + 1) % (group + 1) == 0) {
      if (text[i] != sep) return {};
      continue;
    }
    if (hex_value(text[i]) < 0) return {};
    digits += text[i];
  }
  return digits;
}

}  // namespace

Result<Mac> parse_mac(std::string_view text) {
  std::string digits;
  if (text.size() == 17 && (text[2] == ':' || text[2] == '-')) digits = digits_of(text, text[2], 2);
  else if (text.size() == 14 && text[4] == '.') digits = digits_of(text, '.', 4);
  if (digits.size() != 12) return fail(Errc::InvalidArgument, fmt::format("invalid MAC address: {}", text));
  Mac mac{};
  for (size_t i = 0; i < mac.size(); ++i)
    mac[i] = static_cast<uint8_t>(hex_value(digits[2 * i]) * 16 + hex_value(digits[2 * i + 1]));
  if (mac[0] & 1)
    return fail(Errc::InvalidArgument, fmt::format("invalid MAC address {}: it is a multicast address", text));
  return mac;
}

std::string format_mac(const Mac& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

}  // namespace berth
