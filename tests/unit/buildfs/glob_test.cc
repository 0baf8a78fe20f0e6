// go_match against the cases Go's path/filepath.Match is specified by.
#include <gtest/gtest.h>

#include "buildfs/glob.h"

using berth::buildfs::contains_wildcards;
using berth::buildfs::go_match;
using berth::buildfs::GlobMatch;

namespace {

struct Case {
  const char* pattern;
  const char* name;
  GlobMatch want;
};

constexpr GlobMatch Y = GlobMatch::Yes, N = GlobMatch::No, Bad = GlobMatch::BadPattern;

const Case kCases[] = {
    {"abc", "abc", Y},
    {"*", "abc", Y},
    {"*c", "abc", Y},
    {"a*", "a", Y},
    {"a*", "abc", Y},
    {"a*", "ab/c", N},
    {"a*/b", "abc/b", Y},
    {"a*/b", "a/c/b", N},
    {"a*b*c*d*e*/f", "axbxcxdxe/f", Y},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/f", Y},
    {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", N},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", N},
    {"a*b?c*x", "abxbbxdbxebxczzx", Y},
    {"a*b?c*x", "abxbbxdbxebxczzy", N},
    {"ab[c]", "abc", Y},
    {"ab[b-d]", "abc", Y},
    {"ab[e-g]", "abc", N},
    {"ab[^c]", "abc", N},
    {"ab[^b-d]", "abc", N},
    {"ab[^e-g]", "abc", Y},
    {"a\\*b", "a*b", Y},
    {"a\\*b", "ab", N},
    {"a?b", "a\u263ab", Y},
    {"a[^a]b", "a\u263ab", Y},
    {"a???b", "a\u263ab", N},
    {"a[^a][^a][^a]b", "a\u263ab", N},
    {"[a-\u03b6]*", "\u03b1", Y},
    {"*[a-\u03b6]", "A", N},
    {"a?b", "a/b", N},
    {"a*b", "a/b", N},
    {"[\\]a]", "]", Y},
    {"[\\-]", "-", Y},
    {"[x\\-]", "x", Y},
    {"[x\\-]", "-", Y},
    {"[x\\-]", "z", N},
    {"[\\-x]", "x", Y},
    {"[\\-x]", "-", Y},
    {"[\\-x]", "a", N},
    {"[]a]", "]", Bad},
    {"[-]", "-", Bad},
    {"[x-]", "x", Bad},
    {"[x-]", "-", Bad},
    {"[x-]", "z", Bad},
    {"[-x]", "x", Bad},
    {"[-x]", "-", Bad},
    {"[-x]", "a", Bad},
    {"\\", "a", Bad},
    {"[a-b-c]", "a", Bad},
    {"[", "a", Bad},
    {"[^", "a", Bad},
    {"[^bc", "a", Bad},
    {"a[", "a", Bad},
    {"a[", "ab", Bad},
    {"a[", "x", Bad},
    {"a/b[", "x", Bad},
    {"*x", "xxx", Y},
    {"*.txt", "notes.txt", Y},
    {"*.txt", ".txt", Y},
    {"dir/*.go", "dir/main.go", Y},
    {"dir/*.go", "dir/sub/main.go", N},
};

TEST(GlobTest, MatchesAsGoFilepathMatch) {
  for (const auto& c : kCases)
    EXPECT_EQ(go_match(c.pattern, c.name), c.want) << "pattern \"" << c.pattern << "\" name \"" << c.name << "\"";
}

TEST(GlobTest, WildcardsAreUnescapedStarQuestionOrBracket) {
  EXPECT_TRUE(contains_wildcards("*.txt"));
  EXPECT_TRUE(contains_wildcards("file?"));
  EXPECT_TRUE(contains_wildcards("a[bc]"));
  EXPECT_FALSE(contains_wildcards("plain/file.txt"));
  EXPECT_FALSE(contains_wildcards("a\\*b"));  // escaped: Docker takes it as a name
  EXPECT_TRUE(contains_wildcards("a\\\\*"));  // an escaped backslash, then a star
}

}  // namespace
