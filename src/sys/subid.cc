#include "sys/subid.h"

#include <charconv>

#include "base/file.h"

namespace berth::sys {

namespace {

bool parse_u32(std::string_view s, uint32_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::vector<SubidRange>> parse_subids(std::string_view text, std::string_view name, uint32_t id) {
  std::vector<SubidRange> out;
  const std::string id_str = std::to_string(id);
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos || line.find(':', c2 + 1) != std::string_view::npos)
      return fail(Errc::InvalidArgument, "line " + std::to_string(line_no) + " is not NAME:START:COUNT");
    std::string_view owner = line.substr(0, c1);
    SubidRange r;
    if (owner.empty() || !parse_u32(line.substr(c1 + 1, c2 - c1 - 1), r.start) ||
        !parse_u32(line.substr(c2 + 1), r.count))
      return fail(Errc::InvalidArgument, "line " + std::to_string(line_no) + " is not NAME:START:COUNT");
    if (r.count == 0 || uint64_t{r.start} + r.count > (uint64_t{1} << 32))
      return fail(Errc::InvalidArgument, "line " + std::to_string(line_no) + " has an empty or overflowing range");
    if (owner == name || owner == id_str) out.push_back(r);
  }
  return out;
}

Result<std::vector<SubidRange>> read_subids(const std::string& path, std::string_view name, uint32_t id) {
  auto text = read_file(path);
  if (!text) {
    if (text.error().code == Errc::NotFound) return std::vector<SubidRange>{};
    return std::unexpected(text.error());
  }
  auto r = parse_subids(*text, name, id);
  if (!r) return fail(r.error().code, path + ": " + r.error().message);
  return r;
}

}  // namespace berth::sys
