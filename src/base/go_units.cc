#include "base/go_units.h"

#include <cstdio>

namespace berth::go {
namespace {

constexpr const char* kDecimal[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
constexpr const char* kBinary[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};

// getSizeAndUnit: divide while at least one `base`, up to the last unit;
// then Go's %.*g, which C's %.*g matches (exponent form "1e+03" included).
std::string scaled(double size, double base, const char* const (&units)[9], int precision) {
  size_t i = 0;
  while (size >= base && i < std::size(units) - 1) {
    size /= base;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g%s", precision, size, units[i]);
  return buf;
}

std::string count(int64_t n, const char* unit) { return std::to_string(n) + " " + unit; }

}  // namespace

std::string human_size(double bytes, int precision) { return scaled(bytes, 1000.0, kDecimal, precision); }

std::string bytes_size(double bytes) { return scaled(bytes, 1024.0, kBinary, 4); }

std::string human_duration(int64_t seconds) {
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return count(seconds, "seconds");
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return count(minutes, "minutes");
  int64_t hours = (seconds + 1800) / 3600;  // Go: int(d.Hours() + 0.5)
  if (hours == 1) return "About an hour";
  if (hours < 48) return count(hours, "hours");
  if (hours < 24 * 7 * 2) return count(hours / 24, "days");
  if (hours < 24 * 30 * 2) return count(hours / 24 / 7, "weeks");
  if (hours < 24 * 365 * 2) return count(hours / 24 / 30, "months");
  return count(seconds / 3600 / 24 / 365, "years");  // Go: int(d.Hours()) / 24 / 365, unrounded
}

}  // namespace berth::go
