#include "base/go_time.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace berth::go {
namespace {

constexpr int64_t kNs = 1000000000;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithms).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month, day;
};

Civil civil_from_days(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

unsigned days_in_month(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

void append_date_time(std::string& out, int64_t local_sec) {
  int64_t days = floor_div(local_sec, 86400);
  int64_t rem = local_sec - days * 86400;
  Civil c = civil_from_days(days);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(c.year), c.month,
                        c.day, static_cast<int>(rem / 3600), static_cast<int>(rem % 3600 / 60),
                        static_cast<int>(rem % 60));
  out.append(buf, static_cast<size_t>(n));
}

void append_zone(std::string& out, int offset_sec) {
  if (offset_sec == 0) {
    out.push_back('Z');
    return;
  }
  int minutes = offset_sec / 60;
  out.push_back(minutes < 0 ? '-' : '+');
  if (minutes < 0) minutes = -minutes;
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  out.append(buf, static_cast<size_t>(n));
}

void append_fraction(std::string& out, int32_t nsec, bool trim) {
  if (trim && nsec == 0) return;
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, ".%09d", nsec);
  if (trim)
    while (buf[n - 1] == '0') --n;
  out.append(buf, static_cast<size_t>(n));
}

std::string format(UnixTime t, int offset_sec, int fraction /* 0 none, 1 trimmed, 2 fixed */) {
  std::string out;
  out.reserve(36);
  append_date_time(out, t.sec + offset_sec);
  if (fraction) append_fraction(out, t.nsec, fraction == 1);
  append_zone(out, offset_sec);
  return out;
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// n digits at s[pos] as a number, or -1.
int fixed_digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// The forms Go's time.Parse takes for Docker's layouts: a date, then
// `time_fields` of "T15:04:05" (a fraction may follow the seconds, as Go
// allows when parsing), then a zone when `zone`, else the time is at
// `default_offset`.
struct Layout {
  int time_fields;  // 0-3
  bool zone;
  const char* go_name;
};

struct Parsed {
  UnixTime t;
  int offset = 0;
};

std::optional<Parsed> parse_layout(std::string_view s, const Layout& l, int default_offset) {
  int year = fixed_digits(s, 0, 4);
  if (year < 0 || s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int month = fixed_digits(s, 5, 2), day = fixed_digits(s, 8, 2);
  if (month < 1 || month > 12 || day < 1 || static_cast<unsigned>(day) > days_in_month(year, month))
    return std::nullopt;
  size_t pos = 10;
  int fields[3] = {0, 0, 0};
  int32_t nsec = 0;
  if (l.time_fields > 0) {
    if (pos >= s.size() || s[pos] != 'T') return std::nullopt;
    ++pos;
    // The hour may have one digit (Go's "15" is not zero-padded when parsing).
    size_t n = 0;
    while (n < 2 && pos + n < s.size() && digit(s[pos + n])) ++n;
    if (n == 0) return std::nullopt;
    fields[0] = fixed_digits(s, pos, n);
    pos += n;
    for (int f = 1; f < l.time_fields; ++f) {
      if (pos >= s.size() || s[pos] != ':') return std::nullopt;
      fields[f] = fixed_digits(s, pos + 1, 2);
      if (fields[f] < 0) return std::nullopt;
      pos += 3;
    }
    if (fields[0] > 23 || fields[1] > 59 || fields[2] > 59) return std::nullopt;
    if (l.time_fields == 3 && pos + 1 < s.size() && (s[pos] == '.' || s[pos] == ',') && digit(s[pos + 1])) {
      ++pos;
      int digits = 0;
      for (; pos < s.size() && digit(s[pos]); ++pos) {
        if (digits < 9) {
          nsec = nsec * 10 + (s[pos] - '0');
          ++digits;
        }
      }
      for (; digits < 9; ++digits) nsec *= 10;
    }
  }
  int offset = default_offset;
  if (l.zone) {
    if (pos < s.size() && s[pos] == 'Z') {
      offset = 0;
      ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
      int oh = fixed_digits(s, pos + 1, 2), om = fixed_digits(s, pos + 4, 2);
      if (oh < 0 || om < 0 || s[pos + 3] != ':' || oh > 23 || om > 59) return std::nullopt;
      offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
      pos += 6;
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  int64_t local = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                  fields[0] * 3600 + fields[1] * 60 + fields[2];
  return Parsed{UnixTime{local - offset, nsec}, offset};
}

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// strconv.ParseInt(s, 10, 64).
std::optional<int64_t> parse_int64(std::string_view s) {
  size_t i = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) neg = s[i++] == '-';
  if (i == s.size()) return std::nullopt;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (!digit(s[i])) return std::nullopt;
    if (v > (uint64_t{1} << 63) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    if (v > (uint64_t{1} << 63)) return std::nullopt;
  }
  if (!neg && v > (uint64_t{1} << 63) - 1) return std::nullopt;
  return neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

UnixTime normalized(int64_t sec, int64_t nsec) {
  sec += floor_div(nsec, kNs);
  nsec -= floor_div(nsec, kNs) * kNs;
  return {sec, static_cast<int32_t>(nsec)};
}

}  // namespace

UnixTime UnixTime::from_ns(int64_t ns) { return normalized(0, ns); }

UnixTime UnixTime::now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return {ts.tv_sec, static_cast<int32_t>(ts.tv_nsec)};
}

std::string format_rfc3339_nano(UnixTime t, int offset_sec) { return format(t, offset_sec, 1); }

void append_rfc3339_nano(std::string& out, UnixTime t, int offset_sec) {
  append_date_time(out, t.sec + offset_sec);
  append_fraction(out, t.nsec, true);
  append_zone(out, offset_sec);
}

std::string format_rfc3339(int64_t sec, int offset_sec) { return format({sec, 0}, offset_sec, 0); }

std::string format_rfc3339_nano_fixed(UnixTime t, int offset_sec) { return format(t, offset_sec, 2); }

int local_offset(int64_t sec) {
  time_t t = static_cast<time_t>(sec);
  tm local{};
  if (!::localtime_r(&t, &local)) return 0;
  return static_cast<int>(local.tm_gmtoff);
}

std::optional<UnixTime> parse_rfc3339(std::string_view s, int* offset_sec) {
  auto p = parse_layout(s, {3, true, "2006-01-02T15:04:05Z07:00"}, 0);
  if (!p) return std::nullopt;
  if (offset_sec) *offset_sec = p->offset;
  return p->t;
}

std::optional<std::string> normalize_rfc3339_nano(std::string_view s) {
  int offset = 0;
  auto t = parse_rfc3339(s, &offset);
  if (!t) return std::nullopt;
  return format_rfc3339_nano(*t, offset);
}

int64_t unix_seconds_or_zero_time(std::string_view rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  return t ? t->sec : kZeroTimeUnix;
}

Result<int64_t> parse_duration(std::string_view orig) {
  auto invalid = [&] { return fail(Errc::InvalidArgument, "time: invalid duration " + quote(orig)); };
  std::string_view s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return invalid();
  constexpr uint64_t kMax = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || digit(s[0]))) return invalid();
    // The integer part.
    uint64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && digit(s[i]); ++i) {
      if (v > kMax / 10) return invalid();
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kMax) return invalid();
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    // The fraction: digits kept while they fit, the rest only scale nothing.
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t k = 0;
      bool overflow = false;
      for (; k < s.size() && digit(s[k]); ++k) {
        if (overflow) continue;
        if (f > (kMax - 1) / 10) {
          overflow = true;
          continue;
        }
        uint64_t y = f * 10 + static_cast<uint64_t>(s[k] - '0');
        if (y > kMax) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = k > 0;
      s.remove_prefix(k);
    }
    if (!pre && !post) return invalid();
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !digit(s[u])) ++u;
    if (u == 0) return fail(Errc::InvalidArgument, "time: missing unit in duration " + quote(orig));
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t scale_ns;
    if (unit == "ns") scale_ns = 1;
    else if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") scale_ns = 1000;
    else if (unit == "ms") scale_ns = 1000000;
    else if (unit == "s") scale_ns = 1000000000;
    else if (unit == "m") scale_ns = 60 * uint64_t{1000000000};
    else if (unit == "h") scale_ns = 3600 * uint64_t{1000000000};
    else
      return fail(Errc::InvalidArgument, "time: unknown unit " + quote(unit) + " in duration " + quote(orig));
    if (v > kMax / scale_ns) return invalid();
    v *= scale_ns;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(scale_ns) / scale));
      if (v > kMax) return invalid();
    }
    total += v;
    if (total > kMax) return invalid();
  }
  if (neg) return static_cast<int64_t>(0 - total);
  if (total > kMax - 1) return invalid();
  return static_cast<int64_t>(total);
}

Result<std::string> docker_timestamp(std::string_view value, UnixTime reference) {
  if (value != "0") {
    if (auto d = parse_duration(value)) {
      int64_t ns = reference.ns() - *d;
      return std::to_string(UnixTime::from_ns(ns).sec);
    }
  }
  auto has_any = [&](std::string_view chars) { return value.find_first_of(chars) != std::string_view::npos; };
  size_t dashes = 0, colons = 0;
  for (char c : value) {
    dashes += c == '-';
    colons += c == ':';
  }
  bool in_location = !has_any("zZ+") && dashes != 3;
  Layout layout{0, !in_location, in_location ? "2006-01-02" : "2006-01-02Z07:00"};
  if (value.find('.') != std::string_view::npos) {
    layout = {3, !in_location, in_location ? "2006-01-02T15:04:05.999999999" : "2006-01-02T15:04:05.999999999Z07:00"};
  } else if (value.find('T') != std::string_view::npos) {
    // A "+hh:mm" zone brings a colon of its own.
    if (!in_location && !has_any("zZ") && colons > 0) --colons;
    static constexpr const char* kLocal[] = {"2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05"};
    static constexpr const char* kZoned[] = {"2006-01-02T15Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z07:00"};
    int fields = colons == 0 ? 1 : colons == 1 ? 2 : 3;
    layout = {fields, !in_location, (in_location ? kLocal : kZoned)[fields - 1]};
  }
  auto p = parse_layout(value, layout, in_location ? local_offset(reference.sec) : 0);
  if (!p) {
    if (value.find('-') != std::string_view::npos)  // meant as a date: say why it is not one
      return fail(Errc::InvalidArgument,
                  "parsing time " + quote(value) + " as " + quote(layout.go_name) + ": cannot parse");
    if (!parse_unix_timestamp(value))
      return fail(Errc::InvalidArgument, "failed to parse value as time or duration: " + quote(value));
    return std::string(value);  // Unix seconds: passed on as given
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%09d", static_cast<long long>(p->t.sec), p->t.nsec);
  return std::string(buf);
}

Result<UnixTime> parse_unix_timestamp(std::string_view value) {
  auto bad = [&] {
    return fail(Errc::InvalidArgument, "invalid timestamp " + quote(value) + ": want Unix seconds (\"1700000000.5\")");
  };
  size_t dot = value.find('.');
  auto sec = parse_int64(value.substr(0, dot));
  if (!sec) return bad();
  if (dot == std::string_view::npos) return UnixTime{*sec, 0};
  std::string_view frac = value.substr(dot + 1);
  auto n = parse_int64(frac);
  if (!n) return bad();
  // As Docker: the digits scaled to nanoseconds in float64 (more than nine digits are cut).
  auto nsec = static_cast<int64_t>(static_cast<double>(*n) * std::pow(10.0, 9.0 - static_cast<double>(frac.size())));
  return normalized(*sec, nsec);
}

std::optional<int64_t> unix_timestamp_ns(std::string_view value) {
  auto t = parse_unix_timestamp(value);
  if (!t) return std::nullopt;
  return t->ns();
}

Result<UnixTime> docker_time(std::string_view value, UnixTime reference) {
  return parse_unix_timestamp(TRY(docker_timestamp(value, reference)));
}

}  // namespace berth::go
