// Hostile layers: refused with InvalidArgument naming the entry, target left empty.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>

#include "tar_builder.h"

using namespace berth;
using namespace layer_test;

namespace {

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = temp_dir("hostile");
    ASSERT_FALSE(base_.empty());
    root_ = base_ + "/root";
    outside_ = base_ + "/outside";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(outside_.c_str(), 0755), 0);
  }
  void TearDown() override { remove_all(base_); }

  void expect_refused(const std::string& tar, const std::string& entry, const std::string& why,
                      const layer::ApplyOptions& o = {}) {
    auto r = apply_bytes(tar, root_, o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << r.error().str();
    EXPECT_NE(r.error().message.find("\"" + entry + "\""), std::string::npos) << r.error().str();
    EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().str();
    EXPECT_TRUE(dir_is_empty(root_)) << "apply left files behind";
    EXPECT_TRUE(dir_is_empty(outside_)) << "apply wrote outside the root";
  }
  std::string base_, root_, outside_;
};

TEST_F(HostileTest, DotDotPaths) {
  expect_refused(make_tar({file("ok", "1"), file("../outside/evil", "x")}), "../outside/evil",
                 "escapes the layer root");
  expect_refused(make_tar({file("a/../../outside/evil", "x")}), "a/../../outside/evil",
                 "escapes the layer root");
}

TEST_F(HostileTest, AbsolutePathsAreMadeRelative) {
  std::string abs = "/" + outside_.substr(1) + "/evil";
  auto r = apply_bytes(make_tar({file(abs, "x")}), root_);
  ASSERT_TRUE(r) << r.error().str();
  struct stat st;
  EXPECT_EQ(::stat((root_ + abs).c_str(), &st), 0);  // landed under the root
  EXPECT_TRUE(dir_is_empty(outside_));
}

TEST_F(HostileTest, SymlinkEscapeInParent) {
  expect_refused(make_tar({file("ok", "1"), slink("evil", "../outside"), file("evil/pwned", "x")}),
                 "evil/pwned", "leads outside the layer root");
  expect_refused(make_tar({dir("a"), slink("a/up", "../../../.."), file("a/up/outside/pwned", "x")}),
                 "a/up/outside/pwned", "leads outside the layer root");
}

TEST_F(HostileTest, AbsoluteSymlinkStaysInRoot) {
  auto r = apply_bytes(make_tar({slink("evil", outside_), file("evil/pwned", "x")}), root_);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(dir_is_empty(outside_));
  struct stat st;
  EXPECT_EQ(::stat((root_ + outside_ + "/pwned").c_str(), &st), 0);
}

TEST_F(HostileTest, HardLinkOutside) {
  expect_refused(make_tar({file("ok", "1"), hlink("evil", "../outside/secret")}), "evil",
                 "escapes the layer root");
  // Through a symlink leaving the root.
  expect_refused(make_tar({slink("s", "../outside"), hlink("evil", "s/secret")}), "evil",
                 "leads outside the layer root");
  // To a file that is not in the layer.
  expect_refused(make_tar({file("ok", "1"), hlink("evil", "etc/shadow")}), "evil",
                 "is not in the layer");
}

TEST_F(HostileTest, CorruptCompressedStream) {
  std::vector<TarEntry> entries;
  for (int i = 0; i < 8; ++i) entries.push_back(file("f" + std::to_string(i), std::string(1 << 20, 'a' + i)));
  std::string gz = make_tar(entries, Compression::Gzip);
  gz.resize(gz.size() / 2);  // truncated download
  auto r = apply_bytes(gz, root_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument) << r.error().str();
  EXPECT_TRUE(dir_is_empty(root_));
}

TEST_F(HostileTest, AStreamLibarchiveGivesNoMessageForIsRefusedNotACrash) {
  // Found by fuzz.layer_apply: a gzip stream whose header read fails with no
  // libarchive message (archive_error_string is NULL).
  const std::string gz(
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xed\xd4\x3b\x0a\x80\x30\x10\x45\xd1\xa9\x5d\x85\x3b\x48"
      "\x22\x63\xb2\x9e\xf8\x01\x0b\x41\xf0\xb3\x7f\xa3\xa5\x8d\x55\x04\xc9\x3d\xcd\x83\x99\x62\xaa\x37"
      "\xd1\x74\xa6\x97\xbc\x6c\xe2\x55\xef\x4c\x9e\x79\x6d\xc5\x69\xdb\x68\x08\x56\xef\xb9\xf7\xce\x49"
      "\x6d\xe5\x03\xc7\xb6\xc7\x35\x9d\x94\x32\x4d\xe3\x3c\x0c\xd9\x6f\x1f\x8b\x08\x00\x00\x00\x00\x00"
      "\x02\x03\xed\xd4\x3b\x0a\x80\x30\x10\x45\xd1\xa9\x5d\x85\x3b\x48\x22\x63\xb2\x9e\xf8\x01\x0b\x41"
      "\xf0\xb3\x7f\xa3\xa5\x8d\x55\x04\xc9\x3d\xcd\x83\x99\x62\xaa\x37\xd1\x74\xa6\x97\xbc\x6c\xe2\x55"
      "\xef\x4c\x9e\x79\x6d\xc5\xbc\xf7\xdf\x3e\xfb\x1f\xda\xd4\xff\x26\xff\x6b\x2a\xbe\xff\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x40\x00\x00\x00\xf8\xb7\x13\xf0\xab\x24\xe9\x00\x82\x69\xdb\x68\x08\x56\xef"
      "\xb9\xf7\xce\x49\x6d\xe5\x03\xc7\xb6\xc7\x35\x9d\x94\x32\x4d\xe3\x3c\x2f\x95\xa0\x50\xd1\x0c\xd9"
      "\x6f\xbc\xf7\xdf\x28\x00\x00\x3e\xfb\x1f\xda\xd4\xff\x26\xff\x6b\x2a\xbe\xff\x00\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\xf8\xb7\x13",
      250);
  auto r = apply_bytes(gz, root_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument) << r.error().str();
  EXPECT_TRUE(dir_is_empty(root_));
}

TEST_F(HostileTest, AbsurdSizes) {
  layer::ApplyOptions small{.max_entry_size = 1 << 20, .max_total_size = 3 << 20};
  expect_refused(make_tar({file("ok", "1"), file("big", std::string((1 << 20) + 1, 'x'))}), "big",
                 "exceeds the per-entry limit", small);
  std::vector<TarEntry> many;
  for (int i = 0; i < 4; ++i) many.push_back(file("f" + std::to_string(i), std::string(1 << 20, 'x')));
  expect_refused(make_tar(many), "f3", "exceeds the limit", small);

  // A header claiming 2^60 bytes (base-256 size field) against the default caps.
  std::string tar = make_tar({file("huge", "x")});
  char* h = tar.data();
  std::memset(h + 124, 0, 12);
  h[124] = static_cast<char>(0x80);
  h[124 + 4] = 0x10;  // big-endian 2^60 in bytes 125..135
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i) sum += static_cast<unsigned char>(h[i]);
  std::snprintf(h + 148, 8, "%06o", sum);
  expect_refused(tar, "huge", "exceeds the per-entry limit");
}

}  // namespace
