// Apply without privileges: files, dirs, links, fifos, digests, plain-mode whiteouts.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "content/digest.h"
#include "tar_builder.h"

using namespace berth;
using namespace layer_test;

namespace {

std::string read_text(const std::string& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = temp_dir("apply"); ASSERT_FALSE(dir_.empty()); }
  void TearDown() override { remove_all(dir_); }
  std::string dir_;
};

TEST_F(ApplyTest, FilesDirsLinksAndTimes) {
  TarEntry big = file("usr/bin/tool", std::string(3 << 20, 'x'), 04755);
  big.mtime = 1600000000;
  TarEntry fifo;
  fifo.name = "run/fifo";
  fifo.type = AE_IFIFO;
  fifo.perm = 0620;
  TarEntry d = dir("usr/bin", 0711);
  d.mtime = 1500000000;
  std::string tar = make_tar({dir("usr"), d, big, file("usr/bin/a", "hello"),
                              hlink("usr/bin/b", "usr/bin/a"), slink("usr/bin/c", "a"),
                              slink("abs", "/usr/bin/a"), fifo});
  auto r = apply_bytes(tar, dir_);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->diff_id, content::sha256(tar));
  EXPECT_EQ(r->digest, content::sha256(tar));
  EXPECT_EQ(r->size, tar.size());
  EXPECT_EQ(r->uncompressed_size, tar.size());

  struct stat st, st2;
  ASSERT_EQ(::lstat((dir_ + "/usr/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_size, 3 << 20);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
  ASSERT_EQ(::lstat((dir_ + "/usr/bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);  // set after its children were written
  ASSERT_EQ(::lstat((dir_ + "/usr/bin/a").c_str(), &st), 0);
  ASSERT_EQ(::lstat((dir_ + "/usr/bin/b").c_str(), &st2), 0);
  EXPECT_EQ(st.st_ino, st2.st_ino);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(read_text(dir_ + "/usr/bin/b"), "hello");
  char buf[64] = {};
  ASSERT_GT(::readlink((dir_ + "/usr/bin/c").c_str(), buf, sizeof(buf)), 0);
  EXPECT_STREQ(buf, "a");
  ASSERT_EQ(::lstat((dir_ + "/run/fifo").c_str(), &st), 0);  // parent created implicitly
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
}

TEST_F(ApplyTest, CompressedLayersHaveTheSameDiffId) {
  std::vector<TarEntry> entries = {dir("etc"), file("etc/os-release", "ID=berth\n"),
                                   file("etc/big", std::string(1 << 20, 'q'))};
  std::string plain = make_tar(entries);
  for (auto c : {Compression::Gzip, Compression::Zstd}) {
    std::string packed = make_tar(entries, c);
    ASSERT_NE(packed, plain);
    std::string d = dir_ + (c == Compression::Gzip ? "/gz" : "/zst");
    ASSERT_EQ(::mkdir(d.c_str(), 0755), 0);
    auto r = apply_bytes(packed, d);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->diff_id, content::sha256(plain));
    EXPECT_EQ(r->digest, content::sha256(packed));
    EXPECT_EQ(r->size, packed.size());
    EXPECT_EQ(read_text(d + "/etc/os-release"), "ID=berth\n");
  }
}

TEST_F(ApplyTest, SymlinkedParentsResolveInsideTheRoot) {
  // Absolute symlinks (Debian's /var/run -> /run) resolve against the layer root.
  auto r = apply_bytes(make_tar({dir("run"), dir("var"), slink("var/run", "/run"),
                                 file("var/run/pid", "1"), slink("lib", "usr/lib"),
                                 file("lib/libc.so", "elf")}),
                       dir_);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(read_text(dir_ + "/run/pid"), "1");
  EXPECT_EQ(read_text(dir_ + "/usr/lib/libc.so"), "elf");
}

TEST_F(ApplyTest, ReplacesEarlierEntries) {
  auto r = apply_bytes(make_tar({file("a", "one"), file("a", "two"), dir("d"), file("d/x", "x"),
                                 file("d", "now a file")}),
                       dir_);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(read_text(dir_ + "/a"), "two");
  EXPECT_EQ(read_text(dir_ + "/d"), "now a file");
}

TEST_F(ApplyTest, DirectoryReplacedLaterKeepsTheLaterTimes) {
  TarEntry d = dir("d");
  d.mtime = 1000;
  TarEntry f = file("d", "file now");
  f.mtime = 2000;
  TarEntry e = dir("e");
  e.mtime = 3000;
  TarEntry e2 = dir("e");
  e2.mtime = 4000;
  ASSERT_TRUE(apply_bytes(make_tar({d, dir("d/sub"), f, e, e2}), dir_));
  struct stat st;
  ASSERT_EQ(::lstat((dir_ + "/d").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mtim.tv_sec, 2000);
  ASSERT_EQ(::lstat((dir_ + "/e").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 4000);
}

TEST_F(ApplyTest, PlainWhiteoutsDeleteFromLowerCopy) {
  layer::ApplyOptions plain{.format = layer::Format::Plain};
  ASSERT_TRUE(apply_bytes(make_tar({dir("etc"), file("etc/keep", "k"), file("etc/gone", "g"),
                                    dir("opq"), file("opq/old", "o"), dir("opq/sub"),
                                    file("opq/sub/deep", "d")}),
                          dir_, plain));
  auto r = apply_bytes(make_tar({file("etc/.wh.gone", ""), dir("opq"), file("opq/new", "n"),
                                 file("opq/implicit/x", "x"), file("opq/.wh..wh..opq", "")}),
                       dir_, plain);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(exists(dir_ + "/etc/keep"));
  EXPECT_FALSE(exists(dir_ + "/etc/gone"));
  EXPECT_FALSE(exists(dir_ + "/etc/.wh.gone"));
  EXPECT_FALSE(exists(dir_ + "/opq/old"));
  EXPECT_FALSE(exists(dir_ + "/opq/sub"));
  EXPECT_EQ(read_text(dir_ + "/opq/new"), "n");  // same layer: not hidden by its own opaque marker
  EXPECT_EQ(read_text(dir_ + "/opq/implicit/x"), "x");
  EXPECT_FALSE(exists(dir_ + "/opq/.wh..wh..opq"));
}

TEST(ChainId, FollowsTheImageSpec) {
  auto a = content::sha256("a"), b = content::sha256("b"), c = content::sha256("c");
  auto ids = layer::chain_ids({a, b, c});
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], a);
  EXPECT_EQ(ids[1], content::sha256(a.str() + " " + b.str()));
  EXPECT_EQ(ids[2], content::sha256(ids[1].str() + " " + c.str()));
  EXPECT_EQ(*layer::chain_id({a, b, c}), ids[2]);
  EXPECT_FALSE(layer::chain_id({}));
  EXPECT_TRUE(layer::chain_ids({}).empty());
  // A known value: the chain of two busybox-like diffIDs, computed with sha256sum.
  auto known = content::sha256(std::string("sha256:") + std::string(64, '1') + " sha256:" + std::string(64, '2'));
  EXPECT_EQ(*layer::chain_id({*content::Digest::parse("sha256:" + std::string(64, '1')),
                             *content::Digest::parse("sha256:" + std::string(64, '2'))}),
            known);
}

}  // namespace
