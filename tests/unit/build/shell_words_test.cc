// expand_word / expand_words against moby's shell lexer tests (envVarTest,
// wordsTest, lex_test.go) and the Dockerfile reference.
#include <gtest/gtest.h>

#include <map>

#include "build/shell_words.h"

using namespace berth;
using namespace berth::build;
using V = std::vector<std::string>;

namespace {

EnvLookup env_of(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const EnvLookup kEnv = env_of({{"PWD", "/home"}, {"SHELL", "bash"}, {"KOREAN", "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4"}, {"NULL", ""}});

}  // namespace

// moby's envVarTest (Unix rows), word -> result or an error.
TEST(ExpandWord, EnvVarTable) {
  struct Case {
    const char* in;
    const char* out;  // nullptr: an error
  } cases[] = {
      {"hello", "hello"},
      {"he'll'o", "hello"},
      {"he'llo", nullptr},
      {"he\\'llo", "he'llo"},
      {"he\\\\'llo", nullptr},
      {"abc\\tdef", "abctdef"},
      {"\"abc\\tdef\"", "abc\\tdef"},
      {"\"abc\\\\tdef\"", "abc\\tdef"},
      {"'abc\\tdef'", "abc\\tdef"},
      {"hello\\", "hello"},
      {"hello\\\\", "hello\\"},
      {"\"hello", nullptr},
      {"\"hello\\\"", nullptr},
      {"\"hel'lo\"", "hel'lo"},
      {"'hello", nullptr},
      {"'hello\\'", "hello\\"},
      {"'hello\\there'", "hello\\there"},
      {"'hello\\\\there'", "hello\\\\there"},
      {"\"''\"", "''"},
      {"$.", "$."},
      {"$1", ""},
      {"he$1x", "hex"},
      {"he$.x", "he$.x"},
      {"he$pwd.", "he."},
      {"he$PWD", "he/home"},
      {"he\\$PWD", "he$PWD"},
      {"he\\\\$PWD", "he\\/home"},
      {"\"he\\$PWD\"", "he$PWD"},
      {"\"he\\\\$PWD\"", "he\\/home"},
      {"\\${}", "${}"},
      {"\\${}aaa", "${}aaa"},
      {"he\\${}", "he${}"},
      {"he\\${}xx", "he${}xx"},
      {"${}", nullptr},
      {"${}aaa", nullptr},
      {"he${}", nullptr},
      {"he${}xx", nullptr},
      {"he${hi}", "he"},
      {"he${hi}xx", "hexx"},
      {"he${PWD}", "he/home"},
      {"he${.}", nullptr},
      {"he${XXX:-000}xx", "he000xx"},
      {"he${PWD:-000}xx", "he/homexx"},
      {"he${XXX:-$PWD}xx", "he/homexx"},
      {"he${XXX:-${PWD:-yyy}}xx", "he/homexx"},
      {"he${XXX:-${YYY:-yyy}}xx", "heyyyxx"},
      {"he${XXX:YYY}", nullptr},
      {"he${XXX:+${PWD}}xx", "hexx"},
      {"he${PWD:+${XXX}}xx", "hexx"},
      {"he${PWD:+${SHELL}}xx", "hebashxx"},
      {"he${XXX:+000}xx", "hexx"},
      {"he${PWD:+000}xx", "he000xx"},
      {"'he${XX}'", "he${XX}"},
      {"\"he${PWD}\"", "he/home"},
      {"\"he'$PWD'\"", "he'/home'"},
      {"\"$PWD\"", "/home"},
      {"'$PWD'", "$PWD"},
      {"'\\$PWD'", "\\$PWD"},
      {"'\"hello\"'", "\"hello\""},
      {"he\\$PWD", "he$PWD"},
      {"'he\\$PWD'", "he\\$PWD"},
      {"he${PWD", nullptr},
      {"he${PWD:=000}xx", nullptr},
      {"he${PWD:+${PWD}:}xx", "he/home:xx"},
      {"he${XXX:-\\$PWD:}xx", "he$PWD:xx"},
      {"he${XXX:-\\${PWD}z}xx", "he${PWDz}xx"},
      {"\xEC\x95\x88'\xEB\x85\x95'\xED\x95\x98", "\xEC\x95\x88\xEB\x85\x95\xED\x95\x98"},
      {"\xEC\x95\x88\xEB\x85\x95$KOREAN", "\xEC\x95\x88\xEB\x85\x95\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4"},
      {"\xEC\x95\x88\xEB\x85\x95$1x", "\xEC\x95\x88\xEB\x85\x95x"},
      {"${{aaa}", nullptr},
      {"${aaa}}", "}"},
      {"${aaa", nullptr},
      {"${{aaa:-bbb}", nullptr},
      {"${aaa:-bbb}}", "bbb}"},
      {"${aaa:-bbb", nullptr},
      {"${aaa:-bbb}", "bbb"},
      {"${aaa:-${bbb:-ccc}}", "ccc"},
      {"${aaa:-bbb ${foo}", nullptr},
      {"${aaa:-bbb {foo}", "bbb {foo"},
      {"${:}", nullptr},
      {"${:-bbb}", nullptr},
      {"${:+bbb}", nullptr},
  };
  for (const auto& c : cases) {
    auto r = expand_word(c.in, kEnv);
    if (!c.out) {
      EXPECT_FALSE(r.has_value()) << c.in << " -> " << (r ? *r : "");
      if (!r) {
        EXPECT_EQ(r.error().code, Errc::InvalidArgument);
      }
    } else {
      ASSERT_TRUE(r.has_value()) << c.in << ": " << r.error().message;
      EXPECT_EQ(*r, c.out) << c.in;
    }
  }
}

// Set, empty and unset variables under each modifier (POSIX's table, which
// BuildKit's lexer follows).
TEST(ExpandWord, Modifiers) {
  auto env = env_of({{"FOO", "xxx"}, {"BAR", ""}});
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", "xxx  ccc"},
      {"${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", "xxx bbb ccc"},
      {"${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", "aaa bbb "},
      {"${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", "aaa  "},
      {"${FOO?aaa}", "xxx"},
      {"${BAR?bbb}", ""},
      {"${FOO:?aaa}", "xxx"},
      {"${FOO:-}", "xxx"},
      {"${BAZ:-}", ""},
      {"${BAZ:-\"a b\"}", "a b"},
      {"${BAZ:-'$FOO'}", "$FOO"},
  };
  for (const auto& c : cases) {
    auto r = expand_word(c.in, env);
    ASSERT_TRUE(r.has_value()) << c.in << ": " << r.error().message;
    EXPECT_EQ(*r, c.out) << c.in;
  }
}

TEST(ExpandWord, ErrorMessages) {
  auto env = env_of({{"VAR", ""}, {"ARG", "x"}});
  struct Case {
    const char* in;
    const char* error;
  } cases[] = {
      {"${aaa:-bbb", "failed to process \"${aaa:-bbb\": syntax error: missing '}'"},
      {"${aaa", "failed to process \"${aaa\": syntax error: missing '}'"},
      {"${", "failed to process \"${\": syntax error: missing '}'"},
      {"${{aaa:-bbb}", "failed to process \"${{aaa:-bbb}\": syntax error: bad substitution"},
      {"${}", "failed to process \"${}\": syntax error: bad substitution"},
      {"${a:=b}", "failed to process \"${a:=b}\": unsupported modifier (:=) in substitution"},
      {"${a=b}", "failed to process \"${a=b}\": unsupported modifier (=) in substitution"},
      {"${a#b}", "failed to process \"${a#b}\": unsupported modifier (#) in substitution"},
      {"${a:=b", "failed to process \"${a:=b\": syntax error: missing '}'"},
      {"\"abc", "failed to process \"\\\"abc\": unexpected end of statement while looking for matching double-quote"},
      {"'abc", "failed to process \"'abc\": unexpected end of statement while looking for matching single-quote"},
      {"${a:-'x}", "failed to process \"${a:-'x}\": syntax error: missing '}'"},
      {"${a:-${}}", "failed to process \"${a:-${}}\": syntax error: bad substitution"},
      {"${VAR:?message here$ARG}", "failed to process \"${VAR:?message here$ARG}\": VAR: message herex"},
      {"${NOPE?message here$ARG}", "failed to process \"${NOPE?message here$ARG}\": NOPE: message herex"},
      {"${NOPE?}", "failed to process \"${NOPE?}\": NOPE: is not allowed to be unset"},
      {"${NOPE:?}", "failed to process \"${NOPE:?}\": NOPE: is not allowed to be unset"},
      {"${VAR:?}", "failed to process \"${VAR:?}\": VAR: is not allowed to be empty"},
      {"\t${", "failed to process \"\\t${\": syntax error: missing '}'"},
  };
  for (const auto& c : cases) {
    auto r = expand_word(c.in, env);
    ASSERT_FALSE(r.has_value()) << c.in << " -> " << *r;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_EQ(r.error().message, c.error) << c.in;
  }
  EXPECT_EQ(*expand_word("${VAR?message}", env), "");  // set though empty: only ':?' refuses it
}

TEST(ExpandWord, BacktickEscape) {
  auto env = env_of({{"A", "x"}});
  EXPECT_EQ(*expand_word("c:\\dir`$A", env, '`'), "c:\\dir$A");
  EXPECT_EQ(*expand_word("\"c:\\dir `\"q`\" $A\"", env, '`'), "c:\\dir \"q\" x");
  EXPECT_EQ(*expand_word("a``b", env, '`'), "a`b");
  EXPECT_EQ(*expand_word("a\\$A", env, '`'), "a\\x");
  EXPECT_EQ(*expand_word("end`", env, '`'), "end");
}

TEST(ExpandWord, Details) {
  auto env = env_of({{"A", "x y"}, {"A1", "one"}, {"_a", "u"}, {"\xC3\xA9t\xC3\xA9", "summer"}});
  EXPECT_EQ(*expand_word("", env), "");
  EXPECT_EQ(*expand_word("$", env), "$");
  EXPECT_EQ(*expand_word("a$", env), "a$");
  EXPECT_EQ(*expand_word("$A1$_a", env), "oneu");
  EXPECT_EQ(*expand_word("$12", env), "2");              // a digit is a name alone
  EXPECT_EQ(*expand_word("${A1}2", env), "one2");
  EXPECT_EQ(*expand_word("$\xC3\xA9t\xC3\xA9!", env), "summer!");  // names are Unicode letters, as Go's
  EXPECT_EQ(*expand_word("$A\xE2\x80\x94" "b", env), "x y\xE2\x80\x94" "b");  // an em dash ends a name
  EXPECT_EQ(*expand_word("$@ $* $#", env), "$@ $* $#");
  EXPECT_EQ(*expand_word("a\"\"b''c", env), "abc");
  EXPECT_EQ(*expand_word("\"a\\b\\\\c\"", env), "a\\b\\c");     // in "...", '\' escapes only " $ and itself
  EXPECT_EQ(*expand_word("\xEF\xBB\xBFx", env), "x");           // text/scanner skips a leading BOM
  EXPECT_EQ(*expand_word("a\xFF" "b", env), "a\xEF\xBF\xBD" "b");  // and reads a bad byte as U+FFFD
  // Nesting is bounded instead of exhausting the stack.
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "${a:-";
  auto r = expand_word(deep, env);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("nested too deeply"), std::string::npos);
  std::string ok;
  for (int i = 0; i < 50; ++i) ok += "${a:-";
  ok += "z" + std::string(50, '}');
  EXPECT_EQ(*expand_word(ok, env), "z");
}

// moby's wordsTest: ProcessWords splits after expansion.
TEST(ExpandWords, WordsTable) {
  auto env = env_of({{"hi", "hi"}, {"space", "abc  def"}, {"leading", "  ab c"}, {"trailing", "ab c   "}});
  struct Case {
    const char* in;
    V out;
  } cases[] = {
      {"hello", {"hello"}},
      {"hello${nope}bye", {"hellobye"}},
      {"hello${hi}bye", {"hellohibye"}},
      {"hello${space}bye", {"helloabc", "defbye"}},
      {"hello\"${space}\"bye", {"helloabc  defbye"}},
      {"hello \"${space}\"bye", {"hello", "abc  defbye"}},
      {"hello${leading}def", {"hello", "ab", "cdef"}},
      {"hello\"${leading}\" def", {"hello  ab c", "def"}},
      {"hello\"${leading}\"", {"hello  ab c"}},
      {"hello${leading}", {"hello", "ab", "c"}},
      {"hello${trailing}", {"helloab", "c"}},
      {"hello${trailing}d", {"helloab", "c", "d"}},
      {"hello\"${trailing}\"d", {"helloab c   d"}},
      {"hel\"lo${trailing}\"", {"helloab c   "}},
      {"hello\" there  \"", {"hello there  "}},
      {"hello there     ", {"hello", "there"}},
      {"hello\\ there", {"hello there"}},
      {"hello\\\" there", {"hello\"", "there"}},
      {"  ", {}},
      {"a \"\" b", {"a", "b"}},
      {"80 $nope 443/udp", {"80", "443/udp"}},
  };
  for (const auto& c : cases) {
    auto r = expand_words(c.in, env);
    ASSERT_TRUE(r.has_value()) << c.in << ": " << r.error().message;
    EXPECT_EQ(*r, c.out) << c.in;
  }
  auto bad = expand_words("hello\" there", env);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message,
            "failed to process \"hello\\\" there\": unexpected end of statement while looking for matching double-quote");
}
