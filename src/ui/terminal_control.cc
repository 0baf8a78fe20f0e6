#include "ui/terminal_control.h"

#include <cstdint>

#include <nlohmann/json.hpp>

namespace berth::ui {

std::optional<std::pair<unsigned, unsigned>> parse_control(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("resize")) return std::nullopt;
  const auto& r = j["resize"];
  if (!r.is_array() || r.size() != 2 || !r[0].is_number_unsigned() || !r[1].is_number_unsigned()) return std::nullopt;
  uint64_t cols = r[0].get<uint64_t>(), rows = r[1].get<uint64_t>();
  if (cols == 0 || rows == 0 || cols > 1000 || rows > 1000) return std::nullopt;
  return std::pair(static_cast<unsigned>(cols), static_cast<unsigned>(rows));
}

}  // namespace berth::ui
