// resolve_sources: Docker's rules for names, globs, "." and "/", ".." and
// symlinks; the messages Docker prints.
#include <gtest/gtest.h>

#include "buildfs/sources.h"
#include "fs_fixture.h"

using namespace berth;
using namespace berth::buildfs;
using namespace buildfs_test;

namespace {

class SourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    put(ctx / "a.txt", "a");
    put(ctx / "b.txt", "b");
    put(ctx / "c.md", "c");
    put(ctx / "src/main.go", "package main");
    put(ctx / "src/util.go", "package main");
    put(ctx / "src/sub/deep.go", "package sub");
    put(ctx / "other/main.go", "package other");
    ::symlink("src", (ctx / "srclink").c_str());
    ::symlink("/etc/passwd", (ctx / "abs-link").c_str());  // inside the root: ctx/etc/passwd
    put(ctx / "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    ::symlink("../../../..", (ctx / "up").c_str());
    ::symlink("missing-target", (ctx / "dangling.lnk").c_str());
    root = ctx.fd();
  }

  Result<std::vector<Source>> resolve(std::vector<std::string> patterns) {
    return resolve_sources(root.get(), patterns);
  }

  static std::vector<std::string> rels(const std::vector<Source>& s) {
    std::vector<std::string> out;
    for (const auto& x : s) out.push_back(x.rel + (x.is_dir ? "/" : ""));
    return out;
  }

  TempDir ctx{"sources"};
  UniqueFd root;
};

TEST_F(SourcesTest, NamesFilesAndDirectories) {
  auto r = resolve({"a.txt", "src", "./src/main.go", "/b.txt", "src/sub/"});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(rels(*r), (std::vector<std::string>{"a.txt", "src/", "src/main.go", "b.txt", "src/sub/"}));
}

TEST_F(SourcesTest, DotAndSlashAreTheRoot) {
  for (const char* p : {".", "/", "./", "src/.."}) {
    auto r = resolve({p});
    ASSERT_TRUE(r) << p << ": " << r.error().str();
    EXPECT_EQ(rels(*r), (std::vector<std::string>{"./"})) << p;
  }
}

TEST_F(SourcesTest, GlobsMatchPerSegmentInLexicalOrder) {
  auto r = resolve({"*.txt"});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(rels(*r), (std::vector<std::string>{"a.txt", "b.txt"}));
  r = resolve({"*/main.go"});
  ASSERT_TRUE(r) << r.error().str();
  // The walk does not enter srclink (a symlink), as filepath.Walk.
  EXPECT_EQ(rels(*r), (std::vector<std::string>{"other/main.go", "src/main.go"}));
  r = resolve({"src/*", "[ab].txt"});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(rels(*r), (std::vector<std::string>{"src/main.go", "src/sub/", "src/util.go", "a.txt", "b.txt"}));
  r = resolve({"/s?c/*.go"});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(rels(*r), (std::vector<std::string>{"src/main.go", "src/util.go"}));
}

TEST_F(SourcesTest, AGlobMatchingNothingAlongsideOthersIsFine) {
  auto r = resolve({"*.none", "c.md"});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(rels(*r), (std::vector<std::string>{"c.md"}));
}

TEST_F(SourcesTest, NothingMatchedIsDockersError) {
  auto r = resolve({"*.none", "nope/*"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "no source files were specified");
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
}

TEST_F(SourcesTest, AMissingSourceIsDockersError) {
  auto r = resolve({"a.txt", "missing.txt"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist");
  EXPECT_EQ(r.error().code, Errc::NotFound);
  r = resolve({"/src/nope/x"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "file not found in build context or excluded by .dockerignore: stat src/nope/x: file does not exist");
  // From a stage or an image, Docker leaves out the context part.
  r = resolve_sources(root.get(), {"missing.txt"}, SourceRoot::image);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "stat missing.txt: file does not exist");
}

TEST_F(SourcesTest, AGlobMatchingADanglingSymlinkFailsAsDockers) {
  auto r = resolve({"dangling.*"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "file not found in build context or excluded by .dockerignore: stat dangling.lnk: file does not exist");
}

TEST_F(SourcesTest, DotDotCannotLeaveTheRoot) {
  for (const char* p : {"../x", "..", "src/../../x", "/../x"}) {
    auto r = resolve({p});
    ASSERT_FALSE(r) << p;
    std::string shown = p[0] == '/' ? p + 1 : p;
    EXPECT_EQ(r.error().message, "forbidden path outside the build context: " + shown + " ()") << p;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  }
  // Inside the root, ".." is fine.
  auto r = resolve({"src/../a.txt"});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(rels(*r), (std::vector<std::string>{"a.txt"}));
}

TEST_F(SourcesTest, SymlinksAreFollowedInsideTheRoot) {
  auto r = resolve({"srclink", "abs-link", "up"});
  ASSERT_TRUE(r) << r.error().str();
  // srclink is a directory; abs-link is the root's own etc/passwd; up stops at the root.
  EXPECT_EQ(rels(*r), (std::vector<std::string>{"srclink/", "abs-link", "up/"}));
  r = resolve({"up/etc/passwd", "srclink/sub/deep.go"});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(rels(*r), (std::vector<std::string>{"up/etc/passwd", "srclink/sub/deep.go"}));
}

TEST_F(SourcesTest, APathThroughAFileIsNotADirectory) {
  auto r = resolve({"a.txt/x"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "stat a.txt/x: not a directory");
}

TEST_F(SourcesTest, EscapedWildcardsNameAFile) {
  put(ctx / "star*", "literal");
  auto r = resolve({"star\\*"});  // no wildcard left: the name as written, backslash included
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::NotFound);
  r = resolve({"sta[r]\\*"});  // a wildcard: matched by Go's rules, the escape matching "*"
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(rels(*r), (std::vector<std::string>{"star*"}));
}

}  // namespace
