// Who may use the dashboard: login tokens that `berth ui` asks berthd for
// (over the API socket, so only someone who may use the socket gets one),
// each exchanged once for a session cookie; and the request checks every
// dashboard call passes (session cookie, Origin, Host).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::ui {

using Clock = std::function<std::chrono::steady_clock::time_point()>;

struct AuthOptions {
  std::chrono::seconds login_token_ttl{600};   // the printed URL works this long, once
  std::chrono::seconds session_ttl{12 * 3600};  // a browser session, from its login
  size_t max_login_tokens = 64;
  size_t max_sessions = 64;
};

class Auth {
 public:
  explicit Auth(AuthOptions opts = {}, Clock clock = std::chrono::steady_clock::now);

  // A fresh single-use login token (32 random bytes, hex).
  Result<std::string> mint_login_token();
  // Takes the token out (it cannot be used again) and opens a session;
  // PermissionDenied for an unknown, used or expired token.
  Result<std::string> exchange(std::string_view login_token);
  bool session_valid(std::string_view session);
  void end_session(std::string_view session);

 private:
  void expire_locked();

  AuthOptions opts_;
  Clock clock_;
  std::mutex mu_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> login_tokens_;  // -> expiry
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> sessions_;      // -> expiry
};

inline constexpr const char* kSessionCookie = "berth_ui_session";

// The value of one cookie in a Cookie header ("" when absent).
std::string cookie_value(std::string_view cookie_header, std::string_view name);
// Set-Cookie for a session: HttpOnly, SameSite=Strict, Path=/, Secure over TLS.
std::string session_cookie(std::string_view session, bool tls, std::chrono::seconds max_age);
std::string expired_session_cookie(bool tls);

// Where the dashboard is served, for the Origin and Host checks.
struct Site {
  bool tls = false;
  bool loopback = true;  // listening on 127.0.0.0/8 or ::1
  int port = 0;
};

// A loopback listener answers only to Host names that mean this machine
// (127.0.0.1:PORT, localhost:PORT, [::1]:PORT): a DNS-rebinding page's Host
// is its own name. Over TLS (any address) the certificate does that job.
bool host_allowed(const Site& site, std::string_view host);
// A browser's Origin must be this site (scheme and host:port); state changes
// and WebSocket upgrades need one, other requests are checked when they carry
// one.
bool origin_matches(const Site& site, std::string_view origin, std::string_view host);

}  // namespace berth::ui
