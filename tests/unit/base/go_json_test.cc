// Go's JSON bytes: the expected strings are what Go 1.22's encoding/json and
// moby's json-file log writer produce for the same input.
#include <gtest/gtest.h>

#include "base/go_json.h"

using namespace berth;
using go::JsonEscape;

namespace {

std::string esc(std::string_view s, JsonEscape style = JsonEscape::EncodingJson) {
  std::string out;
  go::append_json_string(out, s, style);
  return out;
}

}  // namespace

TEST(GoJson, HtmlSafeEscapingInBothStyles) {
  for (auto style : {JsonEscape::EncodingJson, JsonEscape::JsonLog}) {
    EXPECT_EQ(esc("<a href=\"x\">&</a>", style), R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
    EXPECT_EQ(esc("back\\slash\n\r", style), R"("back\\slash\n\r")");
    EXPECT_EQ(esc(std::string("nul\0esc\x1b" "del\x7f", 12), style), "\"nul\\u0000esc\\u001bdel\x7f\"");
    EXPECT_EQ(esc("", style), R"("")");
  }
}

TEST(GoJson, ShortEscapesDifferBetweenEncodingJsonAndTheLogWriter) {
  EXPECT_EQ(esc("\t\b\f\x01"), R"("\t\b\f\u0001")");
  EXPECT_EQ(esc("\t\b\f\x01", JsonEscape::JsonLog), R"("\u0009\u0008\u000c\u0001")");
}

TEST(GoJson, LineSeparatorsAndInvalidUtf8) {
  EXPECT_EQ(esc("\xe2\x80\xa8|\xe2\x80\xa9"), R"("\u2028|\u2029")");
  EXPECT_EQ(esc("caf\xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbd"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbd\"");
  EXPECT_EQ(esc("a\xffz"), R"("a\ufffdz")");
  EXPECT_EQ(esc("\xc0\x80"), R"("\ufffd\ufffd")");                       // overlong NUL
  EXPECT_EQ(esc("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");              // a surrogate
  EXPECT_EQ(esc("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");    // above U+10FFFF
  EXPECT_EQ(esc("cut \xe2\x82"), R"("cut \ufffd\ufffd")");                // truncated
}

TEST(GoJson, MarshalKeepsObjectOrderAndSortsMaps) {
  nlohmann::ordered_json o;
  o["b"] = 1;
  o["a"] = nlohmann::ordered_json::array({true, nullptr, "<x>", -3});
  EXPECT_EQ(go::marshal(o), R"({"b":1,"a":[true,null,"\u003cx\u003e",-3]})");
  nlohmann::json m = {{"b", 1}, {"a", {{"z", 18446744073709551615ull}}}};
  EXPECT_EQ(go::marshal(m), R"({"a":{"z":18446744073709551615},"b":1})");
  EXPECT_EQ(go::marshal(nlohmann::json::object()), "{}");
  EXPECT_EQ(go::marshal(nlohmann::json::array()), "[]");
}

TEST(GoJson, FloatsAsGoFormatsFloat64) {
  EXPECT_EQ(go::json_float(1.0), "1");
  EXPECT_EQ(go::json_float(0.5), "0.5");
  EXPECT_EQ(go::json_float(-0.0), "-0");
  EXPECT_EQ(go::json_float(123456789.125), "123456789.125");
  EXPECT_EQ(go::json_float(0.000001), "0.000001");
  EXPECT_EQ(go::json_float(1e-7), "1e-7");
  EXPECT_EQ(go::json_float(1.5e-10), "1.5e-10");
  EXPECT_EQ(go::json_float(1e20), "100000000000000000000");
  EXPECT_EQ(go::json_float(1e21), "1e+21");
  EXPECT_EQ(go::json_float(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(go::marshal(nlohmann::json::parse(R"({"f":2.50})")), R"({"f":2.5})");
}
