#include "dockerapi/go_time.h"

#include <ctime>

namespace berth::dockerapi {

std::optional<int64_t> unix_seconds(std::string_view rfc3339) {
  std::tm tm{};
  std::string s(rfc3339);
  if (!strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::string human_duration(int64_t seconds) {
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  int64_t hours = (seconds + 1800) / 3600;
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(hours / 24 / 365) + " years";
}

}  // namespace berth::dockerapi
