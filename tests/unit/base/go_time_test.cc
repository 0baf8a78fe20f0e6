// Go's time layouts and Docker's timestamp parameters. Expected values are
// what Go's time package and moby's api/types/time give for the same input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "base/clock.h"
#include "base/go_time.h"

using namespace berth;
using go::UnixTime;

namespace {

constexpr UnixTime kRef{1700000000, 0};  // 2023-11-14T22:13:20Z

// Runs the body with TZ set, restoring the previous zone after.
class WithTimeZone {
 public:
  explicit WithTimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old, had_ = true;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~WithTimeZone() {
    if (had_)
      ::setenv("TZ", old_.c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }

 private:
  std::string old_;
  bool had_ = false;
};

std::string stamp(std::string_view v) {
  auto r = go::docker_timestamp(v, kRef);
  return r ? *r : "error: " + r.error().message;
}

}  // namespace

TEST(GoTime, Rfc3339NanoTrimsTrailingZeros) {
  EXPECT_EQ(go::format_rfc3339_nano({0, 0}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(go::format_rfc3339_nano({1700000000, 500000000}), "2023-11-14T22:13:20.5Z");
  EXPECT_EQ(go::format_rfc3339_nano({1700000000, 120000000}), "2023-11-14T22:13:20.12Z");
  EXPECT_EQ(go::format_rfc3339_nano({1700000000, 1}), "2023-11-14T22:13:20.000000001Z");
  EXPECT_EQ(go::format_rfc3339_nano({1700000000, 123456789}), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(go::format_rfc3339_nano({1700000000, 0}, 7200), "2023-11-15T00:13:20+02:00");
  EXPECT_EQ(go::format_rfc3339_nano({1700000000, 0}, -(5 * 3600 + 1800)), "2023-11-14T16:43:20-05:30");
  EXPECT_EQ(go::format_rfc3339(go::kZeroTimeUnix), go::kZeroTimeRfc3339);
  EXPECT_EQ(go::format_rfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(go::format_rfc3339_nano_fixed({1700000000, 120000000}), "2023-11-14T22:13:20.120000000Z");
  std::string now = rfc3339_now();
  EXPECT_EQ(now.size(), 30u) << now;  // fixed width: stored creation times sort as strings
}

TEST(GoTime, ParsesRfc3339AsGo) {
  auto t = go::parse_rfc3339("2023-11-14T22:13:20.123456789Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, (UnixTime{1700000000, 123456789}));
  int offset = 0;
  t = go::parse_rfc3339("2023-11-15T00:13:20.5+02:00", &offset);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, (UnixTime{1700000000, 500000000}));
  EXPECT_EQ(offset, 7200);
  EXPECT_EQ(go::parse_rfc3339("2023-11-14T21:13:20-01:00")->sec, 1700000000);
  EXPECT_EQ(go::parse_rfc3339("2023-11-14T22:13:20.1234567891Z")->nsec, 123456789);  // cut at nine digits
  EXPECT_EQ(go::parse_rfc3339("2024-02-29T00:00:00Z")->sec, 1709164800);
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-13-14T22:13:20Z", "2023-02-29T00:00:00Z",
                          "2023-11-14T24:00:00Z", "2023-11-14T22:60:00Z", "2023-11-14T22:13:60Z",
                          "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20Zjunk", "2023/11/14T22:13:20Z",
                          "2023-11-14 22:13:20Z", "2023-11-14T22:13:20+0100", "2023-11-14T22:13:20+24:00"})
    EXPECT_FALSE(go::parse_rfc3339(bad)) << bad;
  EXPECT_EQ(go::unix_seconds_or_zero_time("garbage"), go::kZeroTimeUnix);
}

TEST(GoTime, NormalizesAsGoRemarshals) {
  EXPECT_EQ(go::normalize_rfc3339_nano("2023-05-01T10:20:30.120000000Z"), "2023-05-01T10:20:30.12Z");
  EXPECT_EQ(go::normalize_rfc3339_nano("2023-05-01T10:20:30.000Z"), "2023-05-01T10:20:30Z");
  EXPECT_EQ(go::normalize_rfc3339_nano("2023-05-01T10:20:30+02:00"), "2023-05-01T10:20:30+02:00");
  EXPECT_EQ(go::normalize_rfc3339_nano("2023-05-01T10:20:30.50+00:00"), "2023-05-01T10:20:30.5Z");
  EXPECT_FALSE(go::normalize_rfc3339_nano("yesterday"));
}

TEST(GoTime, ParsesGoDurations) {
  EXPECT_EQ(*go::parse_duration("1h30m"), 5400'000000000);
  EXPECT_EQ(*go::parse_duration("-2.5s"), -2500000000);
  EXPECT_EQ(*go::parse_duration("300ms"), 300000000);
  EXPECT_EQ(*go::parse_duration("1\u00b5s"), 1000);  // micro sign
  EXPECT_EQ(*go::parse_duration("1\u03bcs"), 1000);  // Greek mu
  EXPECT_EQ(*go::parse_duration(".5s"), 500000000);
  EXPECT_EQ(*go::parse_duration("1.s"), 1000000000);
  EXPECT_EQ(*go::parse_duration("0"), 0);
  EXPECT_EQ(*go::parse_duration("+0"), 0);
  EXPECT_EQ(*go::parse_duration("1h1m1s1ms1us1ns"), 3661001001001);
  EXPECT_EQ(*go::parse_duration("9223372036854775807ns"), INT64_MAX);
  EXPECT_EQ(*go::parse_duration("-9223372036854775808ns"), INT64_MIN);
  EXPECT_EQ(go::parse_duration("").error().message, R"(time: invalid duration "")");
  EXPECT_EQ(go::parse_duration("1").error().message, R"(time: missing unit in duration "1")");
  EXPECT_EQ(go::parse_duration("1x").error().message, R"(time: unknown unit "x" in duration "1x")");
  for (const char* bad : {".", "-", "s", "1h-2m", "9223372036854775808ns", "3000000h"})
    EXPECT_FALSE(go::parse_duration(bad)) << bad;
}

TEST(GoTime, DockerTimestampsInUtc) {
  WithTimeZone utc("UTC");
  EXPECT_EQ(stamp("10m"), "1699999400");
  EXPECT_EQ(stamp("1h30m"), "1699994600");
  EXPECT_EQ(stamp("0"), "0");  // the epoch, not a zero duration
  EXPECT_EQ(stamp("1700000000.5"), "1700000000.5");  // Unix seconds pass through
  EXPECT_EQ(stamp("2023-11-14"), "1699920000.000000000");
  EXPECT_EQ(stamp("2023-11-14Z"), "1699920000.000000000");
  EXPECT_EQ(stamp("2023-11-14-05:00"), "1699938000.000000000");
  EXPECT_EQ(stamp("2023-11-14T22"), "1699999200.000000000");
  EXPECT_EQ(stamp("2023-11-14T22:13"), "1699999980.000000000");
  EXPECT_EQ(stamp("2023-11-14T22:13:20"), "1700000000.000000000");
  EXPECT_EQ(stamp("2023-11-14T22:13:20Z"), "1700000000.000000000");
  EXPECT_EQ(stamp("2023-11-14T22:13:20.25Z"), "1700000000.250000000");
  EXPECT_EQ(stamp("2023-11-14T22:13:20+02:00"), "1699992800.000000000");
  EXPECT_EQ(stamp("2023-11-14T22:13+02:00"), "1699992780.000000000");
  EXPECT_EQ(stamp("2023-11-14T22:13:20.5"), "1700000000.500000000");
  for (const char* bad : {"2023-13-01", "2023-11-14T25", "-5", "abc", "1.x", ""})
    EXPECT_FALSE(go::docker_timestamp(bad, kRef)) << bad;
  EXPECT_EQ(go::docker_timestamp("abc", kRef).error().message, R"(failed to parse value as time or duration: "abc")");
  EXPECT_EQ(go::docker_timestamp("abc", kRef).error().code, Errc::InvalidArgument);
}

TEST(GoTime, DockerTimestampsWithoutAZoneAreLocal) {
  WithTimeZone plus2("EET-2");  // UTC+2, no daylight saving
  EXPECT_EQ(go::local_offset(kRef.sec), 7200);
  EXPECT_EQ(stamp("2023-11-14T22:13:20"), "1699992800.000000000");
  EXPECT_EQ(stamp("2023-11-14"), "1699912800.000000000");
  EXPECT_EQ(stamp("2023-11-14T22:13:20Z"), "1700000000.000000000");  // a zone given wins
}

TEST(GoTime, UnixTimestampsAsDockerParsesThem) {
  EXPECT_EQ(*go::parse_unix_timestamp("1700000000"), (UnixTime{1700000000, 0}));
  EXPECT_EQ(*go::parse_unix_timestamp("1700000000.5"), (UnixTime{1700000000, 500000000}));
  EXPECT_EQ(*go::parse_unix_timestamp("1700000000.000000001"), (UnixTime{1700000000, 1}));
  EXPECT_EQ(*go::parse_unix_timestamp("1.1234567891"), (UnixTime{1, 123456789}));
  EXPECT_EQ(*go::parse_unix_timestamp("-5.5"), (UnixTime{-5, 500000000}));  // Go's time.Unix(-5, 5e8)
  EXPECT_EQ(go::unix_timestamp_ns("1700000000.5"), 1700000000500000000);
  for (const char* bad : {"", ".5", "1.", "1.x", "x", "1e9", "99999999999999999999"})
    EXPECT_FALSE(go::parse_unix_timestamp(bad)) << bad;
  EXPECT_FALSE(go::unix_timestamp_ns("12abc"));
  EXPECT_EQ(*go::docker_time("10m", kRef), (UnixTime{1699999400, 0}));
  EXPECT_EQ(UnixTime::from_ns(-1), (UnixTime{-1, 999999999}));
}

TEST(GoTime, FormattedTimesParseBack) {
  for (int32_t ns : {0, 1, 999999999, 120000000}) {
    for (int offset : {0, 3600, -34200}) {
      std::string t = go::format_rfc3339_nano({1234567890, ns}, offset);
      int back_offset = 1;
      EXPECT_EQ(go::parse_rfc3339(t, &back_offset), (UnixTime{1234567890, ns})) << t;
      EXPECT_EQ(back_offset, offset) << t;
    }
  }
}
