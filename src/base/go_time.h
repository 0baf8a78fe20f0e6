// Times as Go and Docker write and read them: RFC 3339 (Go's layouts, not
// strftime's), Go durations ("1h30m"), and Docker's timestamp parameters
// (`since`, `until`, prune's `until`: a duration back from now, an RFC 3339
// date or Unix seconds "1700000000.5"). Proleptic Gregorian calendar, years
// 0000-9999, no leap seconds (as Go).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::go {

// A point in time: seconds since the Unix epoch and nanoseconds in [0, 1e9).
struct UnixTime {
  int64_t sec = 0;
  int32_t nsec = 0;
  auto operator<=>(const UnixTime&) const = default;

  int64_t ns() const { return sec * 1000000000 + nsec; }
  static UnixTime from_ns(int64_t ns);  // floors toward the past
  static UnixTime now();                // CLOCK_REALTIME
};

// Go's zero time.Time, what Docker shows for a time it does not have.
inline constexpr int64_t kZeroTimeUnix = -62135596800;
inline constexpr std::string_view kZeroTimeRfc3339 = "0001-01-01T00:00:00Z";

// Offsets are seconds east of UTC; 0 is written "Z", others "+hh:mm".

// time.Format(RFC3339Nano): fraction without trailing zeros, none when zero.
std::string format_rfc3339_nano(UnixTime t, int offset_sec = 0);
void append_rfc3339_nano(std::string& out, UnixTime t, int offset_sec = 0);
// time.Format(RFC3339): whole seconds.
std::string format_rfc3339(int64_t sec, int offset_sec = 0);
// Nine fraction digits always (jsonmessage.RFC3339NanoFixed): fixed-width
// strings that sort as the times they stand for.
std::string format_rfc3339_nano_fixed(UnixTime t, int offset_sec = 0);
// The offset of the local zone (TZ, /etc/localtime) at that instant.
int local_offset(int64_t sec);

// time.Parse(RFC3339Nano, s): "2006-01-02T15:04:05[.fraction](Z|±hh:mm)",
// fields range-checked (Feb 30 is refused). The offset written goes to
// *offset_sec when given.
std::optional<UnixTime> parse_rfc3339(std::string_view s, int* offset_sec = nullptr);
// A stored RFC 3339 time as Go re-marshals it after parsing: the same
// instant and offset ("+00:00" becomes "Z"), the fraction trimmed; nullopt
// when s does not parse.
std::optional<std::string> normalize_rfc3339_nano(std::string_view s);
// Unix seconds of an RFC 3339 time; Go's zero time when it does not parse.
int64_t unix_seconds_or_zero_time(std::string_view rfc3339);

// time.ParseDuration, in nanoseconds: "1h30m", "-2.5s", "300ms", "1µs", "0".
// InvalidArgument with Go's text (`time: invalid duration "x"`).
Result<int64_t> parse_duration(std::string_view s);

// Docker's GetTimestamp (api/types/time): a Go duration back from
// `reference` (except "0"), a date-time in one of Docker's RFC 3339-like
// forms ("2006-01-02", "2006-01-02T15", "...T15:04", "...T15:04:05[.n]",
// each with or without a zone; without one, the local zone at `reference`)
// → "sec.nnnnnnnnn"; or Unix seconds, passed through as given.
Result<std::string> docker_timestamp(std::string_view value, UnixTime reference);
// Docker's ParseTimestamps: "1700000000", "1700000000.5", "-5" → a time.
Result<UnixTime> parse_unix_timestamp(std::string_view value);
// The same, in nanoseconds, or nullopt when it does not parse.
std::optional<int64_t> unix_timestamp_ns(std::string_view value);
// docker_timestamp then parse_unix_timestamp: what dockerd does with a
// prune filter's `until`.
Result<UnixTime> docker_time(std::string_view value, UnixTime reference);

}  // namespace berth::go
