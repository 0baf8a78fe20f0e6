#include "base/mac.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

std::string normalized(std::string_view text) {
  auto mac = parse_mac(text);
  return mac ? format_mac(*mac) : "error: " + mac.error().message;
}

TEST(Mac, GoFormsAreAcceptedAndWrittenOneWay) {
  EXPECT_EQ(normalized("02:42:ac:11:00:02"), "02:42:ac:11:00:02");
  EXPECT_EQ(normalized("92-D0-C6-0A-29-33"), "92:d0:c6:0a:29:33");
  EXPECT_EQ(normalized("0242.ac11.0002"), "02:42:ac:11:00:02");
}

TEST(Mac, AnythingElseIsRefusedByName) {
  for (const char* bad : {"", "02:42:ac:11:00", "02:42:ac:11:00:02:03", "02:42-ac:11:00:02", "02:42:ac:11:00:0g",
                          "2:42:ac:11:00:02:", "0242.ac11.00021", "0242:ac11:0002", " 02:42:ac:11:00:02"}) {
    EXPECT_EQ(normalized(bad), std::string("error: invalid MAC address: ") + bad) << bad;
  }
  EXPECT_EQ(normalized("01:00:5e:00:00:01"), "error: invalid MAC address 01:00:5e:00:00:01: it is a multicast address");
}

}  // namespace
}  // namespace berth
