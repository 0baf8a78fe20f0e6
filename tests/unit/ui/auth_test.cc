#include "ui/auth.h"

#include <gtest/gtest.h>

namespace berth::ui {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  Clock fn() {
    return [this] { return now; };
  }
};

TEST(Auth, LoginTokenOpensOneSession) {
  FakeClock clock;
  Auth auth({}, clock.fn());
  auto token = auth.mint_login_token();
  ASSERT_TRUE(token);
  EXPECT_EQ(token->size(), 64u);
  auto session = auth.exchange(*token);
  ASSERT_TRUE(session);
  EXPECT_NE(*session, *token);
  EXPECT_TRUE(auth.session_valid(*session));
  auto again = auth.exchange(*token);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::PermissionDenied);
  EXPECT_NE(again.error().message.find("berth ui"), std::string::npos);
}

TEST(Auth, UnknownTokensAndSessionsAreRefused) {
  Auth auth;
  EXPECT_FALSE(auth.exchange(""));
  EXPECT_FALSE(auth.exchange("00"));
  EXPECT_FALSE(auth.session_valid(""));
  EXPECT_FALSE(auth.session_valid(std::string(64, '0')));
  auto token = auth.mint_login_token();
  ASSERT_TRUE(token);
  EXPECT_FALSE(auth.session_valid(*token)) << "a login token is not a session";
}

TEST(Auth, TokensAndSessionsExpire) {
  FakeClock clock;
  AuthOptions opts;
  opts.login_token_ttl = 10s;
  opts.session_ttl = 100s;
  Auth auth(opts, clock.fn());
  auto late = auth.mint_login_token();
  clock.now += 11s;
  EXPECT_FALSE(auth.exchange(*late));
  auto token = auth.mint_login_token();
  auto session = auth.exchange(*token);
  ASSERT_TRUE(session);
  clock.now += 99s;
  EXPECT_TRUE(auth.session_valid(*session));
  clock.now += 2s;
  EXPECT_FALSE(auth.session_valid(*session));
}

TEST(Auth, LogoutEndsTheSession) {
  Auth auth;
  auto session = auth.exchange(*auth.mint_login_token());
  ASSERT_TRUE(session);
  auth.end_session(*session);
  EXPECT_FALSE(auth.session_valid(*session));
}

TEST(Auth, BoundedTokenAndSessionCounts) {
  FakeClock clock;
  AuthOptions opts;
  opts.max_login_tokens = 2;
  opts.max_sessions = 2;
  Auth auth(opts, clock.fn());
  auto t1 = auth.mint_login_token();
  clock.now += 1s;
  auto t2 = auth.mint_login_token();
  clock.now += 1s;
  auto t3 = auth.mint_login_token();
  EXPECT_FALSE(auth.exchange(*t1)) << "the oldest token made room";
  auto s2 = auth.exchange(*t2);
  clock.now += 1s;
  auto s3 = auth.exchange(*t3);
  clock.now += 1s;
  auto s4 = auth.exchange(*auth.mint_login_token());
  ASSERT_TRUE(s2 && s3 && s4);
  EXPECT_FALSE(auth.session_valid(*s2));
  EXPECT_TRUE(auth.session_valid(*s3));
  EXPECT_TRUE(auth.session_valid(*s4));
}

TEST(Cookie, ValueOfOneCookie) {
  EXPECT_EQ(cookie_value("a=1; berth_ui_session=abc; b=2", kSessionCookie), "abc");
  EXPECT_EQ(cookie_value("berth_ui_session=abc", kSessionCookie), "abc");
  EXPECT_EQ(cookie_value("xberth_ui_session=abc; berth_ui_sessionx=d", kSessionCookie), "");
  EXPECT_EQ(cookie_value("", kSessionCookie), "");
}

TEST(Cookie, SessionCookieIsHttpOnlyStrictAndSecureOverTls) {
  std::string plain = session_cookie("s1", false, std::chrono::seconds(60));
  EXPECT_EQ(plain, "berth_ui_session=s1; Path=/; Max-Age=60; HttpOnly; SameSite=Strict");
  EXPECT_NE(session_cookie("s1", true, std::chrono::seconds(60)).find("; Secure"), std::string::npos);
  EXPECT_NE(expired_session_cookie(false).find("Max-Age=0"), std::string::npos);
}

TEST(Site, LoopbackAnswersOnlyToLocalNames) {
  Site s{false, true, 18601};
  EXPECT_TRUE(host_allowed(s, "127.0.0.1:18601"));
  EXPECT_TRUE(host_allowed(s, "localhost:18601"));
  EXPECT_TRUE(host_allowed(s, "LOCALHOST:18601"));
  EXPECT_TRUE(host_allowed(s, "[::1]:18601"));
  EXPECT_FALSE(host_allowed(s, "evil.example:18601")) << "DNS rebinding";
  EXPECT_FALSE(host_allowed(s, "127.0.0.1:80"));
  EXPECT_FALSE(host_allowed(s, ""));
  Site tls{true, false, 8443};
  EXPECT_TRUE(host_allowed(tls, "berth.example:8443"));
  EXPECT_FALSE(host_allowed(tls, ""));
}

TEST(Site, OriginMustBeThisSite) {
  Site s{false, true, 18601};
  EXPECT_TRUE(origin_matches(s, "http://127.0.0.1:18601", "127.0.0.1:18601"));
  EXPECT_FALSE(origin_matches(s, "https://127.0.0.1:18601", "127.0.0.1:18601"));
  EXPECT_FALSE(origin_matches(s, "http://evil.example", "127.0.0.1:18601"));
  EXPECT_FALSE(origin_matches(s, "null", "127.0.0.1:18601"));
  EXPECT_FALSE(origin_matches(s, "", "127.0.0.1:18601"));
  Site tls{true, false, 8443};
  EXPECT_TRUE(origin_matches(tls, "https://berth.example:8443", "berth.example:8443"));
  EXPECT_FALSE(origin_matches(tls, "http://berth.example:8443", "berth.example:8443"));
}

}  // namespace
}  // namespace berth::ui
