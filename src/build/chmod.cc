#include "build/chmod.h"

namespace berth::build {

std::optional<mode_t> parse_octal_mode(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  mode_t m = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    m = m * 8 + static_cast<mode_t>(c - '0');
  }
  if (m > 07777) return std::nullopt;
  return m;
}

}  // namespace berth::build
