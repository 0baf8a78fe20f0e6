#include "base/base64.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64::encode(""), "");
  EXPECT_EQ(base64::encode("f"), "Zg==");
  EXPECT_EQ(base64::encode("fo"), "Zm8=");
  EXPECT_EQ(base64::encode("foo"), "Zm9v");
  EXPECT_EQ(base64::encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64::encode(std::string("\xfb\xff", 2)), "+/8=");
  EXPECT_EQ(base64::encode_url(std::string("\xfb\xff", 2)), "-_8=");
}

TEST(Base64, DecodesBothAlphabetsWithOrWithoutPadding) {
  EXPECT_EQ(base64::decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64::decode("Zm8="), "fo");
  EXPECT_EQ(base64::decode("Zm8"), "fo");
  EXPECT_EQ(base64::decode("+/8="), std::string("\xfb\xff", 2));
  EXPECT_EQ(base64::decode("-_8"), std::string("\xfb\xff", 2));
  EXPECT_EQ(base64::decode("e30="), "{}");
}

TEST(Base64, RefusesWhatIsNotBase64) {
  EXPECT_EQ(base64::decode("Zm9v!"), std::nullopt);
  EXPECT_EQ(base64::decode("Z"), std::nullopt);
  EXPECT_EQ(base64::decode("Zm 9v"), std::nullopt);
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    EXPECT_EQ(base64::decode(base64::encode(all.substr(0, n))), all.substr(0, n));
    EXPECT_EQ(base64::decode(base64::encode_url(all.substr(0, n))), all.substr(0, n));
  }
}

}  // namespace
}  // namespace berth
