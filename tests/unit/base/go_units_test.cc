// go-units' own expectations (size_test.go, duration_test.go) and the
// boundaries of HumanDuration's steps.
#include <gtest/gtest.h>

#include "base/go_units.h"

using namespace berth;

TEST(GoUnits, HumanSize) {
  constexpr double kB = 1000, MB = kB * 1000, GB = MB * 1000, TB = GB * 1000, PB = TB * 1000;
  EXPECT_EQ(go::human_size(0), "0B");
  EXPECT_EQ(go::human_size(999), "999B");
  EXPECT_EQ(go::human_size(1000), "1kB");
  EXPECT_EQ(go::human_size(1024), "1.024kB");
  EXPECT_EQ(go::human_size(1000000), "1MB");
  EXPECT_EQ(go::human_size(1048576), "1.049MB");
  EXPECT_EQ(go::human_size(2 * MB), "2MB");
  EXPECT_EQ(go::human_size(3.42 * GB), "3.42GB");
  EXPECT_EQ(go::human_size(5.372 * TB), "5.372TB");
  EXPECT_EQ(go::human_size(2.22 * PB), "2.22PB");
  EXPECT_EQ(go::human_size(10000000000000 * PB), "1e+04YB");
  EXPECT_EQ(go::human_size(999999), "1000kB");  // rounds within the unit, as Go's %.4g
  EXPECT_EQ(go::human_size(1234567, 3), "1.23MB");
}

TEST(GoUnits, BytesSize) {
  constexpr double KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024, PiB = TiB * 1024;
  EXPECT_EQ(go::bytes_size(1024), "1KiB");
  EXPECT_EQ(go::bytes_size(1024 * 1024), "1MiB");
  EXPECT_EQ(go::bytes_size(2 * MiB), "2MiB");
  EXPECT_EQ(go::bytes_size(3.42 * GiB), "3.42GiB");
  EXPECT_EQ(go::bytes_size(5.372 * TiB), "5.372TiB");
  EXPECT_EQ(go::bytes_size(2.22 * PiB), "2.22PiB");
  EXPECT_EQ(go::bytes_size(KiB * KiB * KiB * KiB * KiB * PiB), "1.049e+06YiB");
}

TEST(GoUnits, HumanDurationSteps) {
  struct Case {
    int64_t seconds;
    const char* text;
  } cases[] = {
      {-5, "Less than a second"}, {0, "Less than a second"}, {1, "1 second"}, {59, "59 seconds"},
      {60, "About a minute"}, {119, "About a minute"}, {120, "2 minutes"}, {3599, "59 minutes"},
      {3600, "About an hour"}, {5399, "About an hour"}, {5400, "2 hours"},
      {47 * 3600 + 1799, "47 hours"}, {47 * 3600 + 1800, "2 days"}, {13 * 86400, "13 days"},
      {14 * 86400 - 1800, "2 weeks"}, {59 * 86400, "8 weeks"}, {60 * 86400, "2 months"},
      {729 * 86400, "24 months"}, {730 * 86400, "2 years"}, {3 * 365 * 86400 + 86399, "3 years"},
  };
  for (const auto& c : cases) EXPECT_EQ(go::human_duration(c.seconds), c.text) << c.seconds;
}
