#include <gtest/gtest.h>

#include "logs/go_format.h"

using namespace berth::logs;

namespace {

std::string esc(std::string_view s) {
  std::string out;
  append_go_json_string(out, s);
  return out;
}

std::string fmt_time(time_t sec, long nsec) {
  std::string out;
  append_go_time(out, timespec{sec, nsec});
  return out;
}

}  // namespace

TEST(GoFormat, EscapesLikeMobysJsonlog) {
  EXPECT_EQ(esc("hello\n"), R"("hello\n")");
  EXPECT_EQ(esc("a\tb\r\n"), R"("a\u0009b\r\n")");
  EXPECT_EQ(esc("<a href=\"x\">&</a>"), R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
  EXPECT_EQ(esc("back\\slash"), R"("back\\slash")");
  EXPECT_EQ(esc(std::string("nul\0bell\x07" "esc\x1b" "del\x7f", 17)), "\"nul\\u0000bell\\u0007esc\\u001bdel\x7f\"");
  EXPECT_EQ(esc(""), R"("")");
}

TEST(GoFormat, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(esc("caf\xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbd"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbd\"");
  EXPECT_EQ(esc("a\xffz"), R"("a\ufffdz")");
  EXPECT_EQ(esc("\xc0\x80"), R"("\ufffd\ufffd")");            // overlong NUL
  EXPECT_EQ(esc("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");   // a surrogate
  EXPECT_EQ(esc("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
  EXPECT_EQ(esc("cut \xe2\x82"), R"("cut \ufffd\ufffd")");     // truncated at the end
  EXPECT_EQ(esc("\xe2\x80\xa8|\xe2\x80\xa9"), R"("\u2028|\u2029")");
}

TEST(GoFormat, TimeAsRfc3339NanoWithoutTrailingZeros) {
  EXPECT_EQ(fmt_time(0, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(fmt_time(1700000000, 123000000), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(fmt_time(1700000000, 1), "2023-11-14T22:13:20.000000001Z");
  EXPECT_EQ(fmt_time(1700000000, 123456789), "2023-11-14T22:13:20.123456789Z");
}

TEST(GoFormat, ParsesRfc3339) {
  EXPECT_EQ(parse_rfc3339_ns("2023-11-14T22:13:20.123Z"), 1700000000123000000);
  EXPECT_EQ(parse_rfc3339_ns("2023-11-14T22:13:20Z"), 1700000000000000000);
  EXPECT_EQ(parse_rfc3339_ns("2023-11-14T22:13:20.123456789Z"), 1700000000123456789);
  EXPECT_EQ(parse_rfc3339_ns("2023-11-14T23:13:20.5+01:00"), 1700000000500000000);
  EXPECT_EQ(parse_rfc3339_ns("2023-11-14T21:13:20-01:00"), 1700000000000000000);
  EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_ns("2000-02-29T00:00:00Z"), 951782400000000000);
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-13-14T22:13:20Z", "2023-11-14T22:13:20.Z",
                          "2023-11-14T22:13:20Zjunk", "2023/11/14T22:13:20Z", "2023-11-14T22:13:20+0100"})
    EXPECT_FALSE(parse_rfc3339_ns(bad)) << bad;
}

TEST(GoFormat, FormattedTimesParseBack) {
  for (long ns : {0L, 1L, 999999999L, 120000000L}) {
    std::string t = fmt_time(1234567890, ns);
    EXPECT_EQ(parse_rfc3339_ns(t), 1234567890LL * 1000000000 + ns) << t;
  }
}
