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

TEST(VolumeFilters, BothJsonForms) {
  auto a = decode_filters(nlohmann::json::parse(R"({"label":{"a=b":true,"c":true},"name":["x"]})"));
  ASSERT_TRUE(a) << a.error().str();
  EXPECT_EQ((*a)["label"], (std::vector<std::string>{"a=b", "c"}));
  EXPECT_EQ((*a)["name"], (std::vector<std::string>{"x"}));
  EXPECT_FALSE(decode_filters(nlohmann::json::parse(R"([1])")));
  EXPECT_TRUE(decode_filters(nlohmann::json()));
}

TEST(VolumeFilters, ValidateAndBool) {
  Filters f{{"nope", {"1"}}};
  auto r = validate_filters(f, {"name"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "invalid filter 'nope'");
  EXPECT_EQ(*filter_bool({{"dangling", {"TRUE"}}}, "dangling", false), true);
  EXPECT_EQ(*filter_bool({{"dangling", {"0"}}}, "dangling", true), false);
  EXPECT_EQ(*filter_bool({}, "dangling", true), true);
  auto bad = filter_bool({{"dangling", {"maybe"}}}, "dangling", false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid filter 'dangling=maybe'");
}

TEST(VolumeFilters, LabelsAndNames) {
  std::map<std::string, std::string> labels{{"env", "prod"}, {"team", ""}};
  EXPECT_TRUE(match_labels({}, "label", labels));
  EXPECT_TRUE(match_labels({{"label", {"env"}}}, "label", labels));
  EXPECT_TRUE(match_labels({{"label", {"env=prod", "team"}}}, "label", labels));
  EXPECT_FALSE(match_labels({{"label", {"env=dev"}}}, "label", labels));
  EXPECT_FALSE(match_labels({{"label", {"env", "other"}}}, "label", labels));
  EXPECT_TRUE(match_regex({{"name", {"vol"}}}, "name", "myvol1"));
  EXPECT_TRUE(match_regex({{"name", {"^my"}}}, "name", "myvol1"));
  EXPECT_FALSE(match_regex({{"name", {"^vol"}}}, "name", "myvol1"));
  EXPECT_FALSE(match_regex({{"name", {"("}}}, "name", "("));  // a bad pattern matches nothing
  EXPECT_TRUE(match_regex({{"name", {"(", "1$"}}}, "name", "myvol1"));
}
