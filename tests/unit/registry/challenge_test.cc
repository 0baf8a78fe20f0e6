// WWW-Authenticate parsing: what registries send, and what a broken or
// hostile server might send (never a crash, never an invented challenge).
#include "registry/challenge.h"

#include <gtest/gtest.h>

using namespace berth::registry;

namespace {

using Params = std::map<std::string, std::string>;

std::vector<Challenge> parse(std::initializer_list<std::string> values) { return parse_challenges(values); }

TEST(Challenge, BearerAsDockerHubSendsIt) {
  auto c = parse({R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
                  R"(scope="repository:library/busybox:pull")"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params, (Params{{"realm", "https://auth.docker.io/token"},
                                 {"service", "registry.docker.io"},
                                 {"scope", "repository:library/busybox:pull"}}));
}

TEST(Challenge, BasicWithSpacesInRealm) {
  auto c = parse({R"(Basic realm="Registry Realm")"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], (Challenge{"basic", {{"realm", "Registry Realm"}}}));
}

TEST(Challenge, SeveralInOneValue) {
  auto c = parse({R"(Basic realm="a", Bearer realm="https://b/token",service="s" , Negotiate)"});
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], (Challenge{"basic", {{"realm", "a"}}}));
  EXPECT_EQ(c[1], (Challenge{"bearer", {{"realm", "https://b/token"}, {"service", "s"}}}));
  EXPECT_EQ(c[2], (Challenge{"negotiate", {}}));
}

TEST(Challenge, SeveralValuesInOrder) {
  auto c = parse({R"(Bearer realm="r1")", R"(Basic realm="r2")", R"(Bearer realm="r3", Basic realm="r4")"});
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0], (Challenge{"bearer", {{"realm", "r1"}}}));
  EXPECT_EQ(c[1], (Challenge{"basic", {{"realm", "r2"}}}));
  EXPECT_EQ(c[2], (Challenge{"bearer", {{"realm", "r3"}}}));
  EXPECT_EQ(c[3], (Challenge{"basic", {{"realm", "r4"}}}));
}

TEST(Challenge, ParamsDoNotLeakIntoTheNextValue) {
  // A value with parameters but no scheme belongs to no challenge.
  auto c = parse({R"(Bearer realm="r")", R"(service="s")"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], (Challenge{"bearer", {{"realm", "r"}}}));
}

TEST(Challenge, CommaInsideQuotesIsPartOfTheValue) {
  auto c = parse({R"(Bearer realm="https://x/token",scope="repository:a/b:pull,push",service="x")"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].params.at("scope"), "repository:a/b:pull,push");
  EXPECT_EQ(c[0].params.at("service"), "x");
}

TEST(Challenge, EscapesInQuotedStrings) {
  auto c = parse({R"(Basic realm="say \"hi\", then \\ go\x")"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].params.at("realm"), R"(say "hi", then \ gox)");
}

TEST(Challenge, SchemeAndKeysLowercasedValuesKept) {
  auto c = parse({R"(BEARER Realm="https://Auth.Example/Token",SERVICE=Registry.Example)"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], (Challenge{"bearer", {{"realm", "https://Auth.Example/Token"}, {"service", "Registry.Example"}}}));
}

TEST(Challenge, TokenValuesAndLooseWhitespace) {
  auto c = parse({"  Bearer\trealm = \"r\" ,  service=svc,,error=insufficient_scope  "});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], (Challenge{"bearer", {{"realm", "r"}, {"service", "svc"}, {"error", "insufficient_scope"}}}));
}

TEST(Challenge, EmptyQuotedValueIsKept) {
  auto c = parse({R"(Basic realm="")"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], (Challenge{"basic", {{"realm", ""}}}));
}

TEST(Challenge, Token68IsSkippedNotTakenForAScheme) {
  auto c = parse({R"(Negotiate YIIBzgYGKwYBBQUCoIIBwjCCAb6g==, Basic realm="r")"});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], (Challenge{"negotiate", {}}));
  EXPECT_EQ(c[1], (Challenge{"basic", {{"realm", "r"}}}));
}

TEST(Challenge, MalformedParamsAreSkipped) {
  // An empty value, a parameter without a name, then good ones after them.
  auto c = parse({R"(Bearer realm=, ="x", service="s", Basic realm="b")"});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], (Challenge{"bearer", {{"service", "s"}}}));
  EXPECT_EQ(c[1], (Challenge{"basic", {{"realm", "b"}}}));
}

TEST(Challenge, UnterminatedQuoteEndsTheValue) {
  auto c = parse({R"(Bearer realm="r", service="never closed, Basic realm=b)", R"(Basic realm="next")"});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], (Challenge{"bearer", {{"realm", "r"}}}));
  EXPECT_EQ(c[1], (Challenge{"basic", {{"realm", "next"}}}));
}

TEST(Challenge, GarbageGivesNothing) {
  for (const std::string& v : std::vector<std::string>{"", " ", ",,,", "=", "==x", "\"Bearer\"", R"("unterminated)", R"(realm="x")", "\\", "b\"x\"",
                        "@@@ ;;;", std::string("\0\xff\x80", 3), "\"a\\"}) {
    EXPECT_TRUE(parse_challenges({v}).empty()) << "input: " << v;
  }
  EXPECT_TRUE(parse_challenges({}).empty());
}

TEST(Challenge, EveryPrefixParsesWithoutCrashing) {
  // Cuts inside quotes, escapes and separators: each must end cleanly.
  const std::string full = R"(Basic realm="a\"b,c", Bearer realm="https://x/t",scope="r:a/b:pull,push",service=x)";
  for (size_t n = 0; n <= full.size(); ++n) {
    auto c = parse_challenges({full.substr(0, n)});
    // A cut right after "scope" leaves a lone token: a third scheme, by the grammar.
    EXPECT_LE(c.size(), 3u) << n;
    for (const auto& ch : c) {
      EXPECT_FALSE(ch.scheme.empty()) << n;
      for (const auto& [k, v] : ch.params) EXPECT_FALSE(k.empty()) << n;
    }
  }
  auto c = parse_challenges({full});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].params.at("realm"), "a\"b,c");
  EXPECT_EQ(c[1].params.size(), 3u);
}

}  // namespace
