#include "cli/units.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <fmt/printf.h>

namespace berth::cli {

namespace {

// go-units getSizeAndUnit: divide while at least one `base`, up to the last unit.
std::string scaled(double size, double base, const char* const* units, int count, int precision) {
  int i = 0;
  while (size >= base && i < count - 1) {
    size /= base;
    ++i;
  }
  // Go's %.*g and C's agree, exponent form included ("1e+03").
  return fmt::format("{}{}", fmt::sprintf("%.*g", precision, size), units[i]);
}

constexpr const char* kDecimal[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
constexpr const char* kBinary[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string human_size(double bytes, int precision) { return scaled(bytes, 1000.0, kDecimal, 9, precision); }

std::string bytes_size(double bytes) { return scaled(bytes, 1024.0, kBinary, 9, 4); }

std::string human_duration(int64_t seconds) {
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", seconds);
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  int64_t hours = (seconds + 1800) / 3600;  // Go rounds to the nearest hour here
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (hours < 24 * 7 * 2) return fmt::format("{} days", hours / 24);
  if (hours < 24 * 30 * 2) return fmt::format("{} weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
  return fmt::format("{} years", seconds / 3600 / 24 / 365);
}

Result<int64_t> parse_ram_bytes(std::string_view text) {
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

Result<int64_t> parse_nano_cpus(std::string_view text) {
  // A decimal number, exact to the nano CPU (docker-cli uses big.Rat).
  std::string s(text);
  auto bad = [&] { return fail(Errc::InvalidArgument, fmt::format("failed to parse {} as a rational number", s)); };
  size_t i = 0;
  if (i < s.size() && s[i] == '+') ++i;
  int64_t whole = 0, frac = 0;
  int frac_digits = 0;
  bool digits = false;
  for (; i < s.size() && is_digit(s[i]); ++i, digits = true) {
    if (whole > INT64_MAX / 10 / 1000000000) return bad();
    whole = whole * 10 + (s[i] - '0');
  }
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && is_digit(s[i]); ++i, digits = true) {
      if (s[i] != '0' && frac_digits >= 9) {
        return fail(Errc::InvalidArgument, "value is too precise");
      }
      if (frac_digits < 9) frac = frac * 10 + (s[i] - '0');
      ++frac_digits;
    }
  }
  if (!digits || i != s.size()) return bad();
  for (int d = std::min(frac_digits, 9); d < 9; ++d) frac *= 10;
  return whole * 1000000000 + frac;
}

std::string short_id(std::string_view id) {
  if (id.starts_with("sha256:")) id.remove_prefix(7);
  return std::string(id.substr(0, 12));
}

std::string ellipsis(std::string_view text, size_t max_chars) {
  // Count code points: a byte that is not a UTF-8 continuation starts one.
  std::vector<size_t> starts;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  if (starts.size() <= max_chars) return std::string(text);
  if (max_chars <= 3) return std::string(text.substr(0, starts[max_chars]));
  return std::string(text.substr(0, starts[max_chars - 1])) + "…";
}

std::string go_quote(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);  // printable ASCII and UTF-8 kept as is
        }
    }
  }
  out += '"';
  return out;
}

std::string go_time_string(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  localtime_r(&t, &tm);
  char date[32], zone[16], name[16];
  strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
  strftime(zone, sizeof zone, "%z", &tm);
  strftime(name, sizeof name, "%Z", &tm);
  return fmt::format("{} {} {}", date, zone, name);
}

Result<int64_t> parse_rfc3339(std::string_view text) {
  struct tm tm {};
  std::string s(text);
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return fail(Errc::InvalidArgument, fmt::format("invalid timestamp '{}'", s));
  int64_t secs = timegm(&tm);
  if (*rest == '.') {
    ++rest;
    while (is_digit(*rest)) ++rest;
  }
  if (*rest == 'Z' || *rest == 'z') return secs;
  if (*rest == '+' || *rest == '-') {
    int sign = *rest == '-' ? -1 : 1;
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) == 2) return secs - sign * (hh * 3600 + mm * 60);
  }
  if (*rest == '\0') return secs;
  return fail(Errc::InvalidArgument, fmt::format("invalid timestamp '{}'", s));
}

namespace {

// Go's time.ParseDuration: "1h30m", "10m", "2.5s", "300ms".
std::optional<double> parse_go_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double total = 0;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') negative = s[i++] == '-';
  if (i == s.size()) return std::nullopt;
  if (s.substr(i) == "0") return 0.0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (is_digit(s[i]) || s[i] == '.')) ++i;
    if (start == i) return std::nullopt;
    double value = std::strtod(std::string(s.substr(start, i - start)).c_str(), nullptr);
    size_t ustart = i;
    while (i < s.size() && !is_digit(s[i]) && s[i] != '.') ++i;
    std::string_view unit = s.substr(ustart, i - ustart);
    double scale;
    if (unit == "ns") scale = 1e-9;
    else if (unit == "us" || unit == "µs") scale = 1e-6;
    else if (unit == "ms") scale = 1e-3;
    else if (unit == "s") scale = 1;
    else if (unit == "m") scale = 60;
    else if (unit == "h") scale = 3600;
    else return std::nullopt;
    total += value * scale;
  }
  return negative ? -total : total;
}

}  // namespace

Result<std::string> timestamp_arg(std::string_view value, int64_t now) {
  // As docker's GetTimestamp: "0" is the epoch, not a zero duration.
  if (auto d = parse_go_duration(value); d && value != "0") {
    return std::to_string(static_cast<int64_t>(std::floor(static_cast<double>(now) - *d)));
  }
  if (value.find('-') != std::string_view::npos) {
    std::string s(value);
    if (s.find('T') != std::string::npos) {
      if (auto t = parse_rfc3339(s)) return fmt::format("{}.{:09d}", *t, 0);
    }
    struct tm tm {};
    if (const char* rest = strptime(s.c_str(), "%Y-%m-%d", &tm); rest && *rest == '\0') {
      tm.tm_isdst = -1;
      return fmt::format("{}.{:09d}", static_cast<int64_t>(mktime(&tm)), 0);
    }
    return fail(Errc::InvalidArgument, fmt::format("failed to parse time '{}'", s));
  }
  // Unix seconds, optionally with a fraction: passed on as given.
  bool dot = false;
  for (char c : value) {
    if (c == '.' && !dot) dot = true;
    else if (!is_digit(c)) return fail(Errc::InvalidArgument, fmt::format("failed to parse time '{}'", value));
  }
  if (value.empty()) return fail(Errc::InvalidArgument, "empty time value");
  return std::string(value);
}

}  // namespace berth::cli
