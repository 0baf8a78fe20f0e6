#include "stats/prom_text.h"

#include <gtest/gtest.h>

namespace berth::stats::prom {
namespace {

TEST(PromText, FamilyHeadAndSamples) {
  TextWriter w;
  w.family("container_cpu_usage_seconds_total", Type::Counter, "CPU time.");
  w.sample("container_cpu_usage_seconds_total", {{"id", "abc"}, {"name", "web"}}, 1.5);
  w.sample("container_cpu_usage_seconds_total", {}, uint64_t{7});
  EXPECT_EQ(w.text(),
            "# HELP container_cpu_usage_seconds_total CPU time.\n"
            "# TYPE container_cpu_usage_seconds_total counter\n"
            "container_cpu_usage_seconds_total{id=\"abc\",name=\"web\"} 1.5\n"
            "container_cpu_usage_seconds_total 7\n");
}

TEST(PromText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(escape_help("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"");
  TextWriter w;
  w.family("m", Type::Gauge, "line one\nline two");
  w.sample("m", {{"image", "reg:5000/a \"b\""}}, uint64_t{1});
  EXPECT_EQ(w.text(), "# HELP m line one\\nline two\n# TYPE m gauge\nm{image=\"reg:5000/a \\\"b\\\"\"} 1\n");
}

TEST(PromText, Values) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1e21), "1e+21");
  EXPECT_EQ(format_value(0.0005), "0.0005");
  EXPECT_EQ(format_value(0.00001), "1e-05");
  EXPECT_EQ(format_value(1700000000.5), "1700000000.5");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_value(0.0 / 0.0), "NaN");
  // Large counters stay exact as integers.
  TextWriter w;
  w.family("b", Type::Counter, "h");
  w.sample("b", {}, uint64_t{18446744073709551615ull});
  EXPECT_NE(w.text().find("b 18446744073709551615\n"), std::string::npos);
}

TEST(PromText, Names) {
  EXPECT_TRUE(valid_metric_name("berth_api_requests_total"));
  EXPECT_TRUE(valid_metric_name("a:b_c9"));
  EXPECT_FALSE(valid_metric_name("9abc"));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_TRUE(valid_label_name("compose_project"));
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("com.docker.compose.project"));
}

TEST(PromText, HistogramIsCumulativeWithInfSumCount) {
  TextWriter w;
  w.family("lat_seconds", Type::Histogram, "h");
  w.histogram("lat_seconds", {{"route", "/x"}}, {0.1, 1}, {2, 3}, 2.75, 4);
  EXPECT_EQ(w.text(),
            "# HELP lat_seconds h\n# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
            "lat_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{route=\"/x\"} 2.75\n"
            "lat_seconds_count{route=\"/x\"} 4\n");
}

TEST(PromTextDeath, InvalidNameAborts) {
  TextWriter w;
  EXPECT_DEATH(w.family("bad-name", Type::Gauge, "h"), "not valid");
  EXPECT_DEATH(w.sample("ok", {{"bad.label", "v"}}, uint64_t{1}), "not valid");
}

}  // namespace
}  // namespace berth::stats::prom
