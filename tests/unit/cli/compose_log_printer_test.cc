// berth compose logs' lines: Compose v2's prefixes (names padded to the
// longest plus one, then "| "), its rainbow colours, whole lines only.
#include <gtest/gtest.h>

#include "cli/compose_log_stream.h"

namespace berth::cli {
namespace {

struct Captured {
  std::string out, err;
  LogPrinter::Sink sink() {
    return [this](int fd, std::string_view b) { (fd == 2 ? err : out).append(b); };
  }
};

TEST(ComposeLogPrinter, PrefixesArePaddedToTheLongestNamePlusOne) {
  Captured c;
  LogPrinter p({{"a", "web-1", false}, {"b", "client-1", false}}, LogOptions{}, c.sink());
  p.feed(0, 1, "hello\nwor");
  p.feed(1, 2, "oops\n");
  p.feed(0, 1, "ld\n");
  EXPECT_EQ(c.out, "web-1     | hello\nweb-1     | world\n");
  EXPECT_EQ(c.err, "client-1  | oops\n");
}

TEST(ComposeLogPrinter, APartialLineIsWrittenAtTheEnd) {
  Captured c;
  LogPrinter p({{"a", "web-1", false}}, LogOptions{}, c.sink());
  p.feed(0, 1, "no newline");
  EXPECT_EQ(c.out, "");
  p.flush(0);
  EXPECT_EQ(c.out, "web-1  | no newline\n");
}

TEST(ComposeLogPrinter, ColoursFollowComposeV2sRainbow) {
  Captured c;
  LogOptions o;
  o.color = true;
  LogPrinter p({{"a", "a-1", false}, {"b", "b-1", false}}, o, c.sink());
  p.feed(0, 1, "x\n");
  p.feed(1, 1, "y\n");
  p.status(1, "b-1 exited with code 0");
  EXPECT_EQ(c.out, "\033[36ma-1  | \033[0mx\n\033[33mb-1  | \033[0my\n\033[33mb-1 exited with code 0\033[0m\n");
  EXPECT_EQ(rainbow_color(5), "36;1");
  EXPECT_EQ(rainbow_color(10), "36");
}

TEST(ComposeLogPrinter, NoPrefix) {
  Captured c;
  LogOptions o;
  o.prefix = false;
  LogPrinter p({{"a", "web-1", false}}, o, c.sink());
  p.feed(0, 1, "bare\n");
  EXPECT_EQ(c.out, "bare\n");
}

}  // namespace
}  // namespace berth::cli
