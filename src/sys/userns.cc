#include "sys/userns.h"

#include <sstream>
#include <string>

#include "base/file.h"

namespace berth::sys {

bool uid_map_is_nested(std::string_view uid_map) {
  std::istringstream in{std::string(uid_map)};
  unsigned long long inside = 0, outside = 0, count = 0;
  if (!(in >> inside >> outside >> count)) return false;  // unreadable: the host's
  unsigned long long more = 0;
  if (in >> more) return true;  // several lines: nested
  return !(inside == 0 && outside == 0 && count == 4294967295ULL);
}

bool in_user_namespace() {
  // Not cached: berthd enters its namespace after it has started.
  auto text = read_file("/proc/self/uid_map");
  return text ? uid_map_is_nested(*text) : false;
}

const char* overlay_opaque_xattr() {
  return in_user_namespace() ? "user.overlay.opaque" : "trusted.overlay.opaque";
}

}  // namespace berth::sys
