#include "logs/go_parse.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace berth::logs {
namespace {

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

Result<double> parse_float(std::string_view text) {
  auto bad = [&] { return fail(Errc::InvalidArgument, "strconv.ParseFloat: parsing " + quoted(text) + ": invalid syntax"); };
  // strtod skips leading spaces and takes forms Go refuses (e.g. "1e"): checked around it.
  if (text.empty() || text.front() == ' ' || text.find_first_of("_") != std::string_view::npos) return bad();
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return bad();
  if (errno == ERANGE && std::isinf(v))
    return fail(Errc::InvalidArgument, "strconv.ParseFloat: parsing " + quoted(text) + ": value out of range");
  return v;
}

int64_t multiplier(char unit) {
  switch (unit) {
    case 'k': return 1000LL;
    case 'm': return 1000LL * 1000;
    case 'g': return 1000LL * 1000 * 1000;
    case 't': return 1000LL * 1000 * 1000 * 1000;
    case 'p': return 1000LL * 1000 * 1000 * 1000 * 1000;
    default: return 0;
  }
}

int64_t to_int64(double v) {
  // Go's float64 -> int64 on amd64 turns what does not fit into math.MinInt64.
  if (!(v < 9223372036854775808.0) || v < -9223372036854775808.0) return INT64_MIN;
  return static_cast<int64_t>(v);
}

}  // namespace

Result<int64_t> from_human_size(std::string_view text) {
  auto invalid_size = [&] { return fail(Errc::InvalidArgument, "invalid size: '" + std::string(text) + "'"); };
  size_t sep = text.find_last_of("0123456789. ");
  if (sep == std::string_view::npos) return invalid_size();
  std::string_view num = text[sep] == ' ' ? text.substr(0, sep) : text.substr(0, sep + 1);
  std::string sfx(text.substr(sep + 1));
  double size = TRY(parse_float(num));
  if (size < 0) return invalid_size();
  if (sfx.empty()) return to_int64(size);
  auto bad_suffix = [&] { return fail(Errc::InvalidArgument, "invalid suffix: '" + sfx + "'"); };
  if (sfx.size() > 3) return bad_suffix();
  for (auto& c : sfx) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (sfx[0] == 'b') {
    if (sfx.size() > 1) return bad_suffix();
    return to_int64(size);
  }
  int64_t mul = multiplier(sfx[0]);
  if (mul == 0) return bad_suffix();
  if ((sfx.size() == 2 && sfx[1] != 'b') || (sfx.size() == 3 && sfx.substr(1) != "ib")) return bad_suffix();
  return to_int64(size * static_cast<double>(mul));
}

Result<int64_t> go_atoi(std::string_view text) {
  auto err = [&](const char* why) {
    return fail(Errc::InvalidArgument, "strconv.Atoi: parsing " + quoted(text) + ": " + why);
  };
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return err("invalid syntax");
  uint64_t v = 0;
  bool overflow = false;
  for (char c : digits) {
    if (c < '0' || c > '9') return err("invalid syntax");
    if (v > (UINT64_MAX - 9) / 10) overflow = true;
    if (!overflow) v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  uint64_t limit = negative ? 9223372036854775808ULL : 9223372036854775807ULL;
  if (overflow || v > limit) return err("value out of range");
  return negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

Result<bool> go_parse_bool(std::string_view text) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"})
    if (text == t) return true;
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"})
    if (text == f) return false;
  return fail(Errc::InvalidArgument, "strconv.ParseBool: parsing " + quoted(text) + ": invalid syntax");
}

}  // namespace berth::logs
