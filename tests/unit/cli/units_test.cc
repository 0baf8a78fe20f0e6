#include "cli/units.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(HumanSize, MatchesGoUnitsWithPrecision3) {
  EXPECT_EQ(human_size(0), "0B");
  EXPECT_EQ(human_size(999), "999B");
  EXPECT_EQ(human_size(1000), "1kB");
  EXPECT_EQ(human_size(1234567), "1.23MB");
  EXPECT_EQ(human_size(1984000), "1.98MB");
  EXPECT_EQ(human_size(999999), "1e+03kB");  // Go's %.3g says the same
  EXPECT_EQ(human_size(1984000, 4), "1.984MB");
}

TEST(BytesSize, BinaryUnits) {
  EXPECT_EQ(bytes_size(1048576), "1MiB");
  EXPECT_EQ(bytes_size(1536), "1.5KiB");
  EXPECT_EQ(bytes_size(512), "512B");
}

TEST(HumanDuration, DockerWording) {
  EXPECT_EQ(human_duration(0), "Less than a second");
  EXPECT_EQ(human_duration(1), "1 second");
  EXPECT_EQ(human_duration(45), "45 seconds");
  EXPECT_EQ(human_duration(61), "About a minute");
  EXPECT_EQ(human_duration(120), "2 minutes");
  EXPECT_EQ(human_duration(3600), "About an hour");
  EXPECT_EQ(human_duration(5 * 3600), "5 hours");
  EXPECT_EQ(human_duration(3 * 86400), "3 days");
  EXPECT_EQ(human_duration(20 * 86400), "2 weeks");
  EXPECT_EQ(human_duration(90 * 86400), "3 months");
  EXPECT_EQ(human_duration(3 * 365 * 86400), "3 years");
}

TEST(RamBytes, ParsesDockerMemoryFlags) {
  EXPECT_EQ(*parse_ram_bytes("64m"), 64 << 20);
  EXPECT_EQ(*parse_ram_bytes("1g"), int64_t{1} << 30);
  EXPECT_EQ(*parse_ram_bytes("1.5GiB"), int64_t{3} << 29);
  EXPECT_EQ(*parse_ram_bytes("512"), 512);
  EXPECT_EQ(*parse_ram_bytes("10b"), 10);
  EXPECT_EQ(*parse_ram_bytes("2 KB"), 2048);
  EXPECT_FALSE(parse_ram_bytes("abc"));
  EXPECT_FALSE(parse_ram_bytes("10x"));
  EXPECT_EQ(parse_ram_bytes("10x").error().message, "invalid suffix: 'x'");
}

TEST(NanoCpus, ExactDecimal) {
  EXPECT_EQ(*parse_nano_cpus("1.5"), 1500000000);
  EXPECT_EQ(*parse_nano_cpus("2"), 2000000000);
  EXPECT_EQ(*parse_nano_cpus("0.000000001"), 1);
  EXPECT_FALSE(parse_nano_cpus("0.0000000001"));
  EXPECT_FALSE(parse_nano_cpus("x"));
}

TEST(Text, EllipsisQuoteShortId) {
  EXPECT_EQ(ellipsis("/bin/sh -c 'echo hello world'", 20), "/bin/sh -c 'echo he…");
  EXPECT_EQ(ellipsis("short", 20), "short");
  EXPECT_EQ(go_quote("sh -c \"x\"\n"), "\"sh -c \\\"x\\\"\\n\"");
  EXPECT_EQ(short_id("sha256:a80578986f1009b1ac68fb22a29591bc"), "a80578986f10");
}

TEST(Timestamps, SinceUntilArguments) {
  EXPECT_EQ(*timestamp_arg("10m", 1000), "400");
  EXPECT_EQ(*timestamp_arg("0", 1000), "0");
  EXPECT_EQ(*timestamp_arg("1h30m", 10000), "4600");
  EXPECT_EQ(*timestamp_arg("1700000000", 0), "1700000000");
  EXPECT_EQ(*timestamp_arg("2023-11-14T22:13:20Z", 0), "1700000000.000000000");
  EXPECT_FALSE(timestamp_arg("yesterday", 0));
  EXPECT_EQ(*parse_rfc3339("2023-11-14T23:13:20.5+01:00"), 1700000000);
}

}  // namespace
}  // namespace berth::cli
