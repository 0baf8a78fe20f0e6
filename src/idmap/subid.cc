#include "idmap/subid.h"

#include <algorithm>
#include <charconv>

namespace berth::idmap {
namespace {

std::optional<uint32_t> number(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::vector<SubIdEntry> parse_subids(std::string_view text) {
  std::vector<SubIdEntry> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t a = line.find(':');
    if (a == std::string_view::npos || a == 0) continue;
    size_t b = line.find(':', a + 1);
    if (b == std::string_view::npos || line.find(':', b + 1) != std::string_view::npos) continue;
    auto start = number(line.substr(a + 1, b - a - 1));
    auto count = number(line.substr(b + 1));
    if (!start || !count || *count == 0 || uint64_t{*start} + *count > (uint64_t{1} << 32)) continue;
    out.push_back({std::string(line.substr(0, a)), {*start, *count}});
  }
  return out;
}

std::vector<IdRange> ranges_for(const std::vector<SubIdEntry>& entries, std::string_view name, uint32_t id) {
  std::vector<IdRange> out;
  std::string id_text = std::to_string(id);
  for (const auto& e : entries)
    if ((!name.empty() && e.owner == name) || e.owner == id_text) out.push_back(e.range);
  return out;
}

std::optional<uint32_t> find_free_range(const std::vector<SubIdEntry>& entries, uint32_t count, uint32_t lowest) {
  std::vector<IdRange> taken;
  for (const auto& e : entries) taken.push_back(e.range);
  std::sort(taken.begin(), taken.end(), [](const IdRange& a, const IdRange& b) { return a.start < b.start; });
  uint64_t candidate = lowest;
  for (const auto& r : taken) {
    if (candidate + count <= r.start) break;  // fits in the gap before r
    candidate = std::max<uint64_t>(candidate, r.end());
  }
  if (count == 0 || candidate + count > (uint64_t{1} << 32)) return std::nullopt;
  return static_cast<uint32_t>(candidate);
}

std::string subid_line(std::string_view owner, const IdRange& range) {
  return std::string(owner) + ":" + std::to_string(range.start) + ":" + std::to_string(range.count) + "\n";
}

}  // namespace berth::idmap
