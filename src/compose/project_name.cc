#include "compose/project_name.h"

#include <fmt/format.h>

namespace berth::compose {

namespace {
bool allowed(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }
}  // namespace

std::string normalize_project_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (allowed(c)) out += c;
  }
  size_t start = out.find_first_not_of("_-");
  return start == std::string::npos ? "" : out.substr(start);
}

Result<void> check_project_name(std::string_view name) {
  if (name.empty()) return fail(Errc::InvalidArgument, "project name must not be empty");
  bool ok = name[0] != '_' && name[0] != '-';
  for (char c : name) ok = ok && allowed(c);
  if (!ok) {
    return fail(Errc::InvalidArgument,
                fmt::format("invalid project name \"{}\": must consist only of lowercase alphanumeric characters, "
                            "hyphens, and underscores as well as start with a letter or number",
                            name));
  }
  return {};
}

}  // namespace berth::compose
