#include "base/go_units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace berth::go {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

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

Result<int64_t> ram_in_bytes(std::string_view text) {
  std::string s(text);
  auto bad = [&] { return fail(Errc::InvalidArgument, fmt::format("invalid size: '{}'", s)); };
  size_t sep = s.find_last_of("0123456789. ");
  if (sep == std::string::npos) return bad();
  std::string num = s.substr(0, s[sep] == ' ' ? sep : sep + 1);
  std::string sfx = s.substr(sep + 1);
  if (num.empty() || !is_digit(num[0])) return bad();
  char* end = nullptr;
  double size = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size() || size < 0) return bad();
  if (sfx.empty()) return static_cast<int64_t>(size);
  auto bad_suffix = [&] { return fail(Errc::InvalidArgument, fmt::format("invalid suffix: '{}'", sfx)); };
  if (sfx.size() > 3) return bad_suffix();
  for (char& c : sfx) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (sfx[0] == 'b') {
    if (sfx.size() > 1) return bad_suffix();
    return static_cast<int64_t>(size);
  }
  const std::string_view prefixes = "kmgtp";
  size_t power = prefixes.find(sfx[0]);
  if (power == std::string_view::npos) return bad_suffix();
  if ((sfx.size() == 2 && sfx[1] != 'b') || (sfx.size() == 3 && sfx.substr(1) != "ib")) return bad_suffix();
  size *= std::pow(1024.0, static_cast<double>(power + 1));
  return static_cast<int64_t>(size);
}

}  // namespace berth::go
