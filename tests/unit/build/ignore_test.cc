// IgnorePatterns against moby's patternmatcher and ignorefile tests and the
// .dockerignore reference.
#include <gtest/gtest.h>

#include "build/ignore.h"

using namespace berth;
using namespace berth::build;

namespace {

IgnorePatterns patterns(std::string_view text) {
  auto r = IgnorePatterns::parse(text);
  EXPECT_TRUE(r.has_value()) << text << ": " << (r ? "" : r.error().message);
  return r ? std::move(*r) : IgnorePatterns{};
}

std::vector<std::string> texts(const IgnorePatterns& p) {
  std::vector<std::string> out;
  for (const auto& pat : p.patterns()) out.push_back((pat.exception ? "!" : "") + pat.text);
  return out;
}

}  // namespace

TEST(Ignore, ReadsLikeTheDockerCli) {
  auto p = patterns(
      "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n"
      "  # not a comment  \r\n\xEF\xBB\xBF" "x\n./a/../b//c/\n  spaced  \n");
  EXPECT_EQ(texts(p), (std::vector<std::string>{"test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path",
                                                "# not a comment", "\xEF\xBB\xBFx", "b/c", "spaced"}));
  auto bom = patterns("\xEF\xBB\xBF" "first\n");
  EXPECT_EQ(texts(bom), std::vector<std::string>{"first"});
  EXPECT_TRUE(patterns("").empty());
  EXPECT_TRUE(patterns("# only\n\n   \n").empty());
  EXPECT_FALSE(patterns("a").empty());
}

TEST(Ignore, BadPatterns) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"[", ".dockerignore line 1: syntax error in pattern \"[\""},
      {"ok\n\n  a[b  \n", ".dockerignore line 3: syntax error in pattern \"a[b\""},
      {"a\\", ".dockerignore line 1: syntax error in pattern \"a\\\\\""},
      {"[]a]", ".dockerignore line 1: syntax error in pattern \"[]a]\""},
      {"[-]", ".dockerignore line 1: syntax error in pattern \"[-]\""},
      {"[x-]", ".dockerignore line 1: syntax error in pattern \"[x-]\""},
      {"[a-b-c]", ".dockerignore line 1: syntax error in pattern \"[a-b-c]\""},
      {"[^", ".dockerignore line 1: syntax error in pattern \"[^\""},
      {"*[", ".dockerignore line 1: syntax error in pattern \"*[\""},
      {"!", ".dockerignore line 1: illegal exclusion pattern: \"!\""},
      {"a\n!  \n", ".dockerignore line 2: illegal exclusion pattern: \"!\""},
      {"!/", ".dockerignore line 1: illegal exclusion pattern: \"!\""},
  };
  for (const auto& c : cases) {
    auto r = IgnorePatterns::parse(c.text);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_EQ(r.error().message, c.error) << c.text;
  }
}

// patternmatcher_test.go TestMatches, through MatchesOrParentMatches.
TEST(Ignore, OnePattern) {
  struct Case {
    const char* pattern;
    const char* path;
    bool excluded;
  } cases[] = {
      {"**", "file", true},
      {"**/", "file", true},
      {"**", "dir/file", true},
      {"**/", "dir/file", true},
      {"**/**", "dir/file", true},
      {"dir/**", "dir/file", true},
      {"dir/**", "dir/dir2/file", true},
      {"**/dir", "dir", true},
      {"**/dir", "dir/file", true},
      {"**/dir2/*", "dir/dir2/file", true},
      {"**/dir2/**", "dir/dir2/dir3/file", true},
      {"**file", "file", true},
      {"**file", "dir/file", true},
      {"**/file", "dir/file", true},
      {"**file", "dir/dir/file", true},
      {"**/file", "dir/dir/file", true},
      {"**/file*", "dir/dir/file", true},
      {"**/file*", "dir/dir/file.txt", true},
      {"**/file*txt", "dir/dir/file.txt", true},
      {"**/file*.txt", "dir/dir/file.txt", true},
      {"**/file*.txt*", "dir/dir/file.txt", true},
      {"**/**/*.txt", "dir/dir/file.txt", true},
      {"**/**/*.txt2", "dir/dir/file.txt", false},
      {"**/*.txt", "file.txt", true},
      {"**/**/*.txt", "file.txt", true},
      {"a**/*.txt", "a/file.txt", true},
      {"a**/*.txt", "a/dir/file.txt", true},
      {"a**/*.txt", "a/dir/dir/file.txt", true},
      {"a/*.txt", "a/dir/file.txt", false},
      {"a/*.txt", "a/file.txt", true},
      {"a/*.txt**", "a/file.txt", true},
      {"a[b-d]e", "ae", false},
      {"a[b-d]e", "ace", true},
      {"a[b-d]e", "aae", false},
      {"a[^b-d]e", "aze", true},
      {".*", ".foo", true},
      {".*", "foo", false},
      {"abc.def", "abcdef", false},
      {"abc.def", "abc.def", true},
      {"abc.def", "abcZdef", false},
      {"abc?def", "abcZdef", true},
      {"abc?def", "abcdef", false},
      {"**/foo/bar", "foo/bar", true},
      {"**/foo/bar", "dir/foo/bar", true},
      {"**/foo/bar", "dir/dir2/foo/bar", true},
      {"abc/**", "abc", false},
      {"abc/**", "abc/def", true},
      {"abc/**", "abc/def/ghi", true},
      {"**/.foo", ".foo", true},
      {"**/.foo", "bar.foo", false},
      {"a(b)c/def", "a(b)c/def", true},
      {"a(b)c/def", "a(b)c/xyz", false},
      {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
      {"dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
      {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
      {"a\\\\", "a\\", true},
      {"a\\*b", "a*b", true},
      {"a\\*b", "axb", false},
      // filepath.Match's own table (as patternmatcher's TestMatch runs it).
      {"abc", "abc", true},
      {"*", "abc", true},
      {"*c", "abc", true},
      {"a*", "a", true},
      {"a*", "abc", true},
      {"a*", "ab/c", true},  // its parent "ab" matches
      {"a*/b", "abc/b", true},
      {"a*/b", "a/c/b", false},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false},
      {"a*b?c*x", "abxbbxdbxebxczzx", true},
      {"a*b?c*x", "abxbbxdbxebxczzy", false},
      {"ab[c]", "abc", true},
      {"ab[b-d]", "abc", true},
      {"ab[e-g]", "abc", false},
      {"ab[^c]", "abc", false},
      {"ab[^b-d]", "abc", false},
      {"ab[^e-g]", "abc", true},
      {"a?b", "a\xE2\x98\xBA" "b", true},
      {"a[^a]b", "a\xE2\x98\xBA" "b", true},
      {"a???b", "a\xE2\x98\xBA" "b", false},
      {"[a-\xCE\xB6]*", "\xCE\xB1", true},
      {"*[a-\xCE\xB6]", "A", false},
      {"a?b", "a/b", false},
      {"a*b", "a/b", false},
      {"[\\]a]", "]", true},
      {"[\\-]", "-", true},
      {"[x\\-]", "x", true},
      {"[x\\-]", "-", true},
      {"[x\\-]", "z", false},
      {"[\\-x]", "a", false},
      {"*x", "xxx", true},
      // Parents: a directory's pattern covers what is under it.
      {"docs", "docs/README.md", true},
      {"docs/", "docs/README.md", true},
      {"*/temp*", "somedir/temporary.txt", true},
      {"*/temp*", "somedir/temp/deep/file", true},
      {"*/*/temp*", "a/b/temp", true},
      {"temp?", "tempa", true},
      {"temp?", "x/tempa", false},
      {"/abs", "abs", true},
      {"./rel/../x", "x/y", true},
      {"*.go", ".", false},
      {"*", "", false},
  };
  for (const auto& c : cases) {
    auto p = patterns(c.pattern);
    EXPECT_EQ(p.excluded(c.path), c.excluded) << "pattern " << c.pattern << ", path " << c.path;
  }
}

TEST(Ignore, ExceptionsAndOrder) {
  struct Case {
    const char* text;
    const char* path;
    bool excluded;
  } cases[] = {
      {"*.go\n!fileutils.go", "fileutils.go", false},
      {"!fileutils.go\n*.go", "fileutils.go", true},
      {"docs\n!docs/README.md", "docs/README.md", false},
      {"docs\n!docs/README.md", "docs/other.md", true},
      {"docs/*\n!docs/README.md", "docs/README.md", false},
      {"**\n!util/docker/web", "util/docker/web/foo", false},
      {"**\n!util/docker/web\nutil/docker/web/foo", "util/docker/web/foo", true},
      {"**\n!dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false},
      {"*.md\n!README*.md\nREADME-secret.md", "README-secret.md", true},
      {"*.md\n!README*.md\nREADME-secret.md", "README.md", false},
      {"*.md\nREADME-secret.md\n!README*.md", "README-secret.md", false},
      {"a\n!a/b\na/b/c", "a/b/c/d", true},
      {"a\n!a/b\na/b/c", "a/b/x", false},
  };
  for (const auto& c : cases) {
    auto p = patterns(c.text);
    EXPECT_EQ(p.excluded(c.path), c.excluded) << c.text << " | " << c.path;
  }
}

TEST(Ignore, CanSkipDir) {
  struct Case {
    const char* text;
    const char* dir;
    bool skip;
  } cases[] = {
      {"node_modules", "node_modules", true},
      {"node_modules", "src", false},                 // not excluded at all
      {"docs\n!docs/README.md", "docs", false},
      {"build\n!src", "build", true},
      {"*\n!*/keep", "a", false},                     // a wildcard exception may reach inside
      {"*\n!a*/keep", "b", true},
      {"*\n!a*/keep", "ab", false},
      {"a\n!a", "a", false},                          // re-included itself
      {"**/tmp\n!**/tmp/keep", "x/tmp", false},
      {"a\n!a/b/**", "a", false},
      {"a\n!ab/**", "a", true},
      {"a\n!a", "b", false},
      {"**\n!src/**\n!go.mod", "vendor", true},
      {"**\n!src/**\n!go.mod", "src", false},
  };
  for (const auto& c : cases) {
    auto p = patterns(c.text);
    EXPECT_EQ(p.can_skip_dir(c.dir), c.skip) << c.text << " | " << c.dir;
  }
}

// The promise a walker relies on: nothing below a skippable directory would
// have been kept, over every pattern set drawn from a small vocabulary.
TEST(Ignore, SkippedDirectoriesHoldNothingKept) {
  const std::vector<std::string> vocabulary = {"a", "b", "a/b", "*", "*/b", "a*", "**/b", "a/**", "?",
                                               "[ab]", "**", "b/a", "**/a/*", "a/b/a"};
  const std::vector<std::string> paths = {"a", "b", "a/a", "a/b", "b/a", "b/b", "a/b/a", "a/b/b", "a/a/b",
                                          "b/a/b", "ab", "ab/b", "a/b/a/b", "ba/a"};
  uint32_t seed = 12345;
  auto rnd = [&](size_t n) {
    seed = seed * 1103515245 + 12345;
    return (seed >> 16) % n;
  };
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    size_t count = 1 + rnd(4);
    for (size_t i = 0; i < count; ++i) text += (rnd(2) ? "!" : "") + vocabulary[rnd(vocabulary.size())] + "\n";
    auto p = patterns(text);
    for (const auto& dir : paths) {
      if (!p.can_skip_dir(dir)) continue;
      EXPECT_TRUE(p.excluded(dir)) << text << dir;
      for (const auto& below : paths)
        EXPECT_TRUE(p.excluded(dir + "/" + below)) << text << " skips " << dir << " but keeps " << dir << "/" << below;
    }
  }
}
