#include "cli/units.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <fmt/printf.h>

#include "build/go_text.h"
#include "base/go_time.h"

namespace berth::cli {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string human_size(double bytes, int precision) { return go::human_size(bytes, precision); }

Result<int64_t> parse_ram_bytes(std::string_view text) { return go::ram_in_bytes(text); }

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

std::string go_quote(std::string_view text) { return build::gotext::quote(text); }

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
  auto t = go::parse_rfc3339(text);
  if (!t) return fail(Errc::InvalidArgument, fmt::format("invalid timestamp '{}'", text));
  return t->sec;
}

Result<std::string> timestamp_arg(std::string_view value, int64_t now) {
  return go::docker_timestamp(value, go::UnixTime{now, 0});
}

}  // namespace berth::cli
