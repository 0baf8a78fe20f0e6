#include "sys/proc.h"

#include <string>

#include "base/file.h"
#include "base/strings.h"

namespace berth::sys {
namespace {

// Fields after the command name, which is in parentheses and may hold spaces.
Result<std::vector<std::string>> stat_fields(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::string text = TRY(read_file(path));
  size_t close = text.rfind(')');
  if (close == std::string::npos) return fail(Errc::Internal, "malformed " + path);
  return split(std::string_view(text).substr(close + 2), ' ', true);
}

}  // namespace

Result<uint64_t> process_start_time(pid_t pid) {
  auto fields = TRY(stat_fields(pid));
  // fields[0] is field 3 (state); start time is field 22.
  if (fields.size() < 20) return fail(Errc::Internal, "short /proc stat for pid " + std::to_string(pid));
  auto v = parse_uint(fields[19]);
  if (!v) return fail(Errc::Internal, "bad start time in /proc stat");
  return *v;
}

bool process_alive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto fields = stat_fields(pid);
  if (!fields || fields->size() < 20) return false;
  char state = (*fields)[0].empty() ? '?' : (*fields)[0][0];
  if (state == 'Z' || state == 'X') return false;
  if (start_time == 0) return true;
  auto st = parse_uint((*fields)[19]);
  return st && *st == start_time;
}

}  // namespace berth::sys
