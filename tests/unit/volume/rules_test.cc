// The local driver's rules: names, options, `o=` parsing, filters.
#include <sys/mount.h>

#include <gtest/gtest.h>

#include "volume/rules.h"

using namespace berth;
using namespace berth::volume;

TEST(VolumeNames, DockerRule) {
  for (const char* ok : {"ab", "a1", "my-vol", "my_vol.2", "0abc", "A-b_c.d"}) EXPECT_TRUE(valid_name(ok)) << ok;
  for (const char* bad : {"", "a", "-ab", "_ab", ".ab", "a/b", "a b", "a:b", "/abs", "ü1", "ab$"})
    EXPECT_FALSE(valid_name(bad)) << bad;
}

TEST(VolumeNames, MessageIsDockers) {
  auto r = check_name("a/b");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().message,
            "\"a/b\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
            "allowed. If you intended to pass a host directory, use absolute path");
}

TEST(VolumeOptions, Validation) {
  EXPECT_TRUE(check_options({}));
  EXPECT_TRUE(check_options({{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m"}}));
  auto bad = check_options({{"foo", "bar"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid option: \"foo\"");
  auto no_type = check_options({{"device", "tmpfs"}});
  ASSERT_FALSE(no_type);
  EXPECT_EQ(no_type.error().message, "missing required option: \"type\"");
  auto no_device = check_options({{"type", "tmpfs"}});
  ASSERT_FALSE(no_device);
  EXPECT_EQ(no_device.error().message, "missing required option: \"device\"");
  EXPECT_FALSE(check_options({{"o", "size=1m"}}));
  EXPECT_FALSE(check_options({{"size", "10m"}}));  // no quota support
  EXPECT_TRUE(needs_mount({{"type", "tmpfs"}, {"device", "tmpfs"}}));
  EXPECT_FALSE(needs_mount({}));
}

TEST(VolumeOptions, MountOptionString) {
  auto m = parse_mount_options("size=1m,ro,uid=1000,nosuid,rw,noexec,rprivate");
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));  // rw cleared ro
  EXPECT_EQ(m.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(m.data, "size=1m,uid=1000");
  auto b = parse_mount_options("bind,ro");
  EXPECT_EQ(b.flags, static_cast<unsigned long>(MS_BIND | MS_RDONLY));
  EXPECT_EQ(b.data, "");
  EXPECT_EQ(parse_mount_options("").flags, 0u);
}

TEST(VolumeFilters, DanglingIsCaseInsensitive) {
  auto f = [](const char* json) { return *Filters::parse(json); };
  EXPECT_EQ(*filter_bool(f(R"({"dangling":["TRUE"]})"), "dangling", false), true);
  EXPECT_EQ(*filter_bool(f(R"({"dangling":{"0":true}})"), "dangling", true), false);
  EXPECT_EQ(*filter_bool(Filters{}, "dangling", true), true);
  auto bad = filter_bool(f(R"({"dangling":["maybe"]})"), "dangling", false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid filter 'dangling=maybe'");
}
