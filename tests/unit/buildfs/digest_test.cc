// digest_sources: what changes the digest (content, mode, names, links,
// owners) and what does not (times), and how long 20,000 files take.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "buildfs/sources.h"
#include "fs_fixture.h"

using namespace berth;
using namespace berth::buildfs;
using namespace buildfs_test;

namespace {

class DigestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    put(ctx / "app/main.py", "print('hi')\n", 0644);
    put(ctx / "app/run.sh", "#!/bin/sh\n", 0755);
    put(ctx / "app/lib/util.py", "X = 1\n");
    ::symlink("lib/util.py", (ctx / "app/util-link").c_str());
    put(ctx / "top.txt", "top\n");
    root = ctx.fd();
  }

  std::string digest(std::vector<Source> s = {{"app", true}, {"top.txt", false}}) {
    auto d = digest_sources(root.get(), s);
    EXPECT_TRUE(d) << d.error().str();
    return d ? *d : "";
  }

  TempDir ctx{"digest"};
  UniqueFd root;
};

TEST_F(DigestTest, IsASha256AndStable) {
  std::string d = digest();
  EXPECT_TRUE(d.starts_with("sha256:")) << d;
  EXPECT_EQ(d.size(), 7u + 64u);
  EXPECT_EQ(digest(), d);
}

TEST_F(DigestTest, TouchingFilesKeepsIt) {
  std::string before = digest();
  for (const char* f : {"app/main.py", "app/lib/util.py", "top.txt", "app", "app/lib"}) {
    timespec t[2] = {{1234567, 0}, {1234567, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (ctx / f).c_str(), t, 0), 0);
  }
  timespec t[2] = {{7654321, 0}, {7654321, 0}};
  ::utimensat(AT_FDCWD, (ctx / "app/util-link").c_str(), t, AT_SYMLINK_NOFOLLOW);
  EXPECT_EQ(digest(), before);
}

TEST_F(DigestTest, AChangedByteChangesIt) {
  std::string before = digest();
  put(ctx / "app/lib/util.py", "X = 2\n");
  EXPECT_NE(digest(), before);
}

TEST_F(DigestTest, AModeChangeChangesIt) {
  std::string before = digest();
  ::chmod((ctx / "app/main.py").c_str(), 0600);
  EXPECT_NE(digest(), before);
  ::chmod((ctx / "app/main.py").c_str(), 0644);
  EXPECT_EQ(digest(), before);
  ::chmod((ctx / "app/lib").c_str(), 0700);  // a directory below the source counts
  EXPECT_NE(digest(), before);
}

TEST_F(DigestTest, TheSourceDirectorysOwnModeDoesNotCount) {
  std::string before = digest();
  ::chmod((ctx / "app").c_str(), 0700);  // COPY app/ copies its contents, not app itself
  EXPECT_EQ(digest(), before);
}

TEST_F(DigestTest, NamesLinksAndNewFilesChangeIt) {
  std::string before = digest();
  ::rename((ctx / "app/main.py").c_str(), (ctx / "app/main2.py").c_str());
  std::string renamed = digest();
  EXPECT_NE(renamed, before);
  ::rename((ctx / "app/main2.py").c_str(), (ctx / "app/main.py").c_str());
  EXPECT_EQ(digest(), before);
  ::unlink((ctx / "app/util-link").c_str());
  ::symlink("lib/other.py", (ctx / "app/util-link").c_str());
  EXPECT_NE(digest(), before);
  ::unlink((ctx / "app/util-link").c_str());
  ::symlink("lib/util.py", (ctx / "app/util-link").c_str());
  EXPECT_EQ(digest(), before);
  put(ctx / "app/lib/empty", "");
  EXPECT_NE(digest(), before);
}

TEST_F(DigestTest, AHardLinkIsNotACopy) {
  put(ctx / "app/copy.py", "print('hi')\n");
  std::string copy = digest();
  ::unlink((ctx / "app/copy.py").c_str());
  ASSERT_EQ(::link((ctx / "app/main.py").c_str(), (ctx / "app/copy.py").c_str()), 0);
  EXPECT_NE(digest(), copy);
}

TEST_F(DigestTest, SourcesCountByNameAndOrder) {
  std::string both = digest({{"app", true}, {"top.txt", false}});
  EXPECT_NE(digest({{"top.txt", false}, {"app", true}}), both);
  EXPECT_NE(digest({{"app", true}}), both);
  put(ctx / "same.txt", "top\n");
  // Same bytes under another name: a file lands under its own name.
  EXPECT_NE(digest({{"same.txt", false}}), digest({{"top.txt", false}}));
}

TEST_F(DigestTest, ATopLevelSymlinkIsFollowed) {
  ::symlink("/app/lib/util.py", (ctx / "abs-link").c_str());  // inside the root
  auto d = digest_sources(root.get(), {{"abs-link", false}});
  ASSERT_TRUE(d) << d.error().str();
  put(ctx / "app/lib/util.py", "X = 3\n");
  auto changed = digest_sources(root.get(), {{"abs-link", false}});
  ASSERT_TRUE(changed);
  EXPECT_NE(*d, *changed);
}

TEST_F(DigestTest, AMissingSourceFails) {
  auto d = digest_sources(root.get(), {{"gone", false}});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::NotFound);
}

// The cache key is taken on every COPY/ADD: 20,000 small files (a
// node_modules) must not cost seconds. The time is printed for the record.
TEST(DigestSpeedTest, TwentyThousandSmallFiles) {
  TempDir ctx("digest-speed");
  for (int d = 0; d < 200; ++d) {
    std::string dir = ctx / ("pkg" + std::to_string(d));
    mkdirs(dir);
    for (int f = 0; f < 100; ++f) {
      std::string p = dir + "/file" + std::to_string(f) + ".js";
      FILE* out = std::fopen(p.c_str(), "w");
      ASSERT_NE(out, nullptr);
      std::fprintf(out, "module.exports = %d; // %d\n", f, d);
      std::fclose(out);
    }
  }
  auto root = ctx.fd();
  std::vector<Source> s = {{".", true}};
  auto first = digest_sources(root.get(), s);  // cold-ish (just written: in the page cache)
  ASSERT_TRUE(first) << first.error().str();
  auto start = std::chrono::steady_clock::now();
  auto again = digest_sources(root.get(), s);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *first);
  std::printf("digest of 20000 files (200 directories): %.1f ms\n", ms);
  RecordProperty("digest_20000_files_ms", std::to_string(ms));
  EXPECT_LT(ms, 5000) << "20,000 small files should digest in well under a second on an idle machine";
}

}  // namespace
