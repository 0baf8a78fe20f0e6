#include "kubestream/token_cache.h"

#include <gtest/gtest.h>

namespace berth::kubestream {
namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  TokenCache::Clock fn() {
    return [this] { return now; };
  }
};

TEST(TokenCache, TokenIsSingleUse) {
  FakeClock clock;
  TokenCache cache(std::chrono::seconds(60), clock.fn());
  auto token = cache.insert(ExecRequest{"c1", {"sh"}});
  ASSERT_TRUE(token) << token.error().str();
  auto req = cache.consume(*token);
  ASSERT_TRUE(req);
  EXPECT_EQ(std::get<ExecRequest>(*req).container_id, "c1");
  EXPECT_FALSE(cache.consume(*token));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCache, TokensAreRandomBase64UrlOfSixteenBytes) {
  FakeClock clock;
  TokenCache cache(std::chrono::seconds(60), clock.fn());
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto token = cache.insert(PortForwardRequest{"p"});
    ASSERT_TRUE(token);
    EXPECT_EQ(token->size(), 22u);  // 16 bytes, unpadded
    EXPECT_EQ(token->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    seen.insert(*token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(TokenCache, ExpiresAfterTheTtl) {
  FakeClock clock;
  TokenCache cache(std::chrono::seconds(60), clock.fn());
  auto early = cache.insert(AttachRequest{"c1"});
  auto late = cache.insert(AttachRequest{"c2"});
  ASSERT_TRUE(early && late);
  clock.now += std::chrono::seconds(59);
  EXPECT_TRUE(cache.consume(*early));
  clock.now += std::chrono::seconds(1);  // exactly the TTL: gone
  EXPECT_FALSE(cache.consume(*late));
}

TEST(TokenCache, UnknownTokenIsNotFound) {
  FakeClock clock;
  TokenCache cache(std::chrono::seconds(60), clock.fn());
  EXPECT_FALSE(cache.consume("nope"));
  EXPECT_FALSE(cache.consume(""));
}

TEST(TokenCache, FullCacheRefusesUntilEntriesExpire) {
  FakeClock clock;
  TokenCache cache(std::chrono::seconds(10), clock.fn(), 2);
  ASSERT_TRUE(cache.insert(ExecRequest{"a"}));
  ASSERT_TRUE(cache.insert(ExecRequest{"b"}));
  auto third = cache.insert(ExecRequest{"c"});
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, Errc::Unavailable);
  clock.now += std::chrono::seconds(10);
  EXPECT_TRUE(cache.insert(ExecRequest{"c"}));  // the expired two were evicted
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace berth::kubestream
