// Docker's filters (api/types/filters) and the prune filters every prune verb
// shares (daemon/prune.go's matchLabels and until).
#include <gtest/gtest.h>

#include "base/filters.h"
#include "base/prune_filter.h"

using namespace berth;

namespace {

constexpr go::UnixTime kNow{1700000000, 0};
using Labels = std::map<std::string, std::string>;

PruneFilter prune(std::string_view json, const std::set<std::string>& keys = kContainerPruneKeys) {
  auto f = PruneFilter::parse(json, keys, kNow);
  EXPECT_TRUE(f) << json << ": " << f.error().str();
  return f ? *f : PruneFilter{};
}

}  // namespace

TEST(Filters, BothWireFormsAndAString) {
  for (const char* text : {R"({"dangling":["true"],"label":["c","a=b"]})",
                           R"({"dangling":{"true":true},"label":{"a=b":true,"c":true,"off":false}})"}) {
    auto f = Filters::parse(text);
    ASSERT_TRUE(f) << text;
    EXPECT_EQ(f->get("label"), (std::vector<std::string>{"a=b", "c"})) << text;
    EXPECT_TRUE(*f->get_bool_or_default("dangling", false));
    EXPECT_TRUE(f->match_kv_list("label", {{"a", "b"}, {"c", "x"}}));
    EXPECT_FALSE(f->match_kv_list("label", {{"a", "z"}, {"c", "x"}}));
    EXPECT_FALSE(f->match_kv_list("label", {{"a", "b"}}));
    EXPECT_FALSE(f->match_kv_list("label", {}));
    EXPECT_TRUE(f->match_kv_list("nothing", {}));
    EXPECT_TRUE(f->validate({"dangling", "label"}));
  }
  EXPECT_EQ(Filters::from_json(nlohmann::json::parse(R"({"name":"x"})"))->get("name"), std::vector<std::string>{"x"});
  EXPECT_TRUE(Filters::parse("")->empty());
  EXPECT_TRUE(Filters::from_json(nullptr)->empty());
  for (const char* bad : {"{not json", "[1]", R"({"label":[1]})", R"({"label":3})"}) {
    auto f = Filters::parse(bad);
    ASSERT_FALSE(f) << bad;
    EXPECT_EQ(f.error().code, Errc::InvalidArgument);
  }
}

TEST(Filters, ValidateMatchAndBooleans) {
  auto f = *Filters::parse(R"({"name":["^web","db"],"dangling":["maybe"],"id":["abc"]})");
  auto bad = f.validate({"name", "dangling"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid filter 'id'");
  EXPECT_TRUE(f.exact_match("id", "abc"));
  EXPECT_FALSE(f.exact_match("id", "abcd"));
  EXPECT_TRUE(f.exact_match("other", "anything"));
  EXPECT_TRUE(f.match("name", "web-1"));
  EXPECT_TRUE(f.match("name", "mydb"));
  EXPECT_FALSE(f.match("name", "cache"));
  EXPECT_EQ(f.get_bool_or_default("dangling", false).error().message, "invalid filter 'dangling=maybe'");
  EXPECT_EQ(*f.get_bool_or_default("absent", true), true);
  auto both = *Filters::parse(R"({"dangling":["true","false"]})");
  EXPECT_FALSE(both.get_bool_or_default("dangling", false));
  EXPECT_EQ(*Filters::parse(R"({"all":["0"]})")->get_bool_or_default("all", true), false);
}

TEST(PruneFilter, LabelsAsDockerMatchesThem) {
  auto f = prune(R"({"label":["env=prod","team"]})");
  EXPECT_TRUE(f.matches_labels({{"env", "prod"}, {"team", "a"}, {"x", "y"}}));
  EXPECT_FALSE(f.matches_labels({{"env", "dev"}, {"team", "a"}}));
  EXPECT_FALSE(f.matches_labels({{"env", "prod"}}));
  EXPECT_FALSE(f.matches_labels({}));

  auto not_f = prune(R"({"label!":{"keep":true}})");
  EXPECT_FALSE(not_f.matches_labels({{"keep", ""}}));
  EXPECT_TRUE(not_f.matches_labels({{"other", "1"}}));
  EXPECT_TRUE(not_f.matches_labels({}));
  // label!=K=V: only that value protects.
  auto not_v = prune(R"({"label!":["keep=yes"]})");
  EXPECT_FALSE(not_v.matches_labels({{"keep", "yes"}}));
  EXPECT_TRUE(not_v.matches_labels({{"keep", "no"}}));
  // Several label! values exclude only objects that have all of them (Docker's MatchKVList).
  auto not_both = prune(R"({"label!":["a","b"]})");
  EXPECT_TRUE(not_both.matches_labels({{"a", "1"}}));
  EXPECT_FALSE(not_both.matches_labels({{"a", "1"}, {"b", "2"}}));
  // Both kinds together.
  auto mixed = prune(R"({"label":["app"],"label!":["keep"]})");
  EXPECT_TRUE(mixed.matches_labels({{"app", "x"}}));
  EXPECT_FALSE(mixed.matches_labels({{"app", "x"}, {"keep", ""}}));
  EXPECT_FALSE(mixed.matches_labels({}));
  // No filters: everything.
  EXPECT_TRUE(prune("").matches({}, kNow));
}

TEST(PruneFilter, UntilInEveryForm) {
  struct Case {
    const char* value;
    go::UnixTime until;
  } cases[] = {
      {"10m", {1699999400, 0}},
      {"1h30m", {1699994600, 0}},
      {"1700000000", {1700000000, 0}},
      {"1699999999.5", {1699999999, 500000000}},
      {"2023-11-14T22:13:20Z", {1700000000, 0}},
      {"2023-11-14T23:13:20+01:00", {1700000000, 0}},
  };
  for (const auto& c : cases) {
    auto f = prune(std::string(R"({"until":[")") + c.value + "\"]}");
    ASSERT_TRUE(f.until()) << c.value;
    EXPECT_EQ(*f.until(), c.until) << c.value;
    EXPECT_TRUE(f.created_by_until(c.until)) << c.value;  // "after until" is kept, at it is pruned
    EXPECT_FALSE(f.created_by_until({c.until.sec, c.until.nsec + 1})) << c.value;
    EXPECT_TRUE(f.created_by_until({c.until.sec - 3600, 0})) << c.value;
  }
  EXPECT_FALSE(prune("").until());
  EXPECT_TRUE(prune("").created_by_until({4000000000, 0}));
  auto two = PruneFilter::parse(R"({"until":["1h","2h"]})", kImagePruneKeys, kNow);
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().message, "more than one until filter specified");
  auto bad = PruneFilter::parse(R"({"until":["someday"]})", kImagePruneKeys, kNow);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
}

TEST(PruneFilter, EachVerbTakesItsOwnKeys) {
  EXPECT_TRUE(PruneFilter::parse(R"({"dangling":["false"],"until":["1h"]})", kImagePruneKeys, kNow));
  EXPECT_TRUE(PruneFilter::parse(R"({"all":["true"],"label":["a"]})", kVolumePruneKeys, kNow));
  struct Case {
    const char* json;
    const std::set<std::string>* keys;
    const char* key;
  } refused[] = {
      {R"({"dangling":["true"]})", &kContainerPruneKeys, "dangling"},
      {R"({"dangling":["true"]})", &kNetworkPruneKeys, "dangling"},
      {R"({"until":["1h"]})", &kVolumePruneKeys, "until"},
      {R"({"all":["true"]})", &kImagePruneKeys, "all"},
      {R"({"x":["1"]})", &kContainerPruneKeys, "x"},
  };
  for (const auto& c : refused) {
    auto f = PruneFilter::parse(c.json, *c.keys, kNow);
    ASSERT_FALSE(f) << c.json;
    EXPECT_EQ(f.error().code, Errc::InvalidArgument);
    EXPECT_EQ(f.error().message, std::string("invalid filter '") + c.key + "'");
  }
  auto f = prune(R"({"dangling":{"false":true}})", kImagePruneKeys);
  EXPECT_EQ(*f.filters().get_bool_or_default("dangling", true), false);
}

TEST(Filters, BadPatternsAreSkipped) {
  auto f = *Filters::parse(R"({"name":["(","1$"]})");
  EXPECT_TRUE(f.match("name", "myvol1"));
  EXPECT_FALSE(f.match("name", "myvol2"));
  EXPECT_TRUE(f.match("name", "("));  // an exact match needs no pattern
}
