#include "ui/auth.h"

#include <sys/random.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace berth::ui {

namespace {

Result<std::string> random_hex(size_t n) {
  std::string raw(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(raw.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail_errno("getrandom");
    }
    got += static_cast<size_t>(r);
  }
  std::string out;
  out.reserve(2 * n);
  for (unsigned char c : raw) out += fmt::format("{:02x}", c);
  return out;
}

std::string lower(std::string_view s) {
  std::string o(s);
  std::transform(o.begin(), o.end(), o.begin(), [](unsigned char c) { return std::tolower(c); });
  return o;
}

// Drops the oldest entry (earliest expiry) when the map is full.
template <class Map>
void make_room(Map& m, size_t max) {
  while (!m.empty() && m.size() >= max) {
    auto oldest = std::min_element(m.begin(), m.end(), [](auto& a, auto& b) { return a.second < b.second; });
    m.erase(oldest);
  }
}

}  // namespace

Auth::Auth(AuthOptions opts, Clock clock) : opts_(opts), clock_(std::move(clock)) {}

void Auth::expire_locked() {
  auto now = clock_();
  std::erase_if(login_tokens_, [&](auto& e) { return e.second <= now; });
  std::erase_if(sessions_, [&](auto& e) { return e.second <= now; });
}

Result<std::string> Auth::mint_login_token() {
  std::string token = TRY(random_hex(32));
  std::lock_guard lock(mu_);
  expire_locked();
  make_room(login_tokens_, opts_.max_login_tokens);
  login_tokens_[token] = clock_() + opts_.login_token_ttl;
  return token;
}

Result<std::string> Auth::exchange(std::string_view login_token) {
  std::string session = TRY(random_hex(32));
  std::lock_guard lock(mu_);
  expire_locked();
  auto it = login_tokens_.find(login_token);
  if (it == login_tokens_.end())
    return fail(Errc::PermissionDenied, "the login token is unknown, used or expired: run `berth ui` for a new one");
  login_tokens_.erase(it);
  make_room(sessions_, opts_.max_sessions);
  sessions_[session] = clock_() + opts_.session_ttl;
  return session;
}

bool Auth::session_valid(std::string_view session) {
  if (session.empty()) return false;
  std::lock_guard lock(mu_);
  expire_locked();
  return sessions_.find(session) != sessions_.end();
}

void Auth::end_session(std::string_view session) {
  std::lock_guard lock(mu_);
  if (auto it = sessions_.find(session); it != sessions_.end()) sessions_.erase(it);
}

std::string cookie_value(std::string_view header, std::string_view name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view part = header.substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
    pos = end + 1;
  }
  return "";
}

std::string session_cookie(std::string_view session, bool tls, std::chrono::seconds max_age) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", kSessionCookie, session,
                     max_age.count(), tls ? "; Secure" : "");
}

std::string expired_session_cookie(bool tls) {
  return fmt::format("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}", kSessionCookie, tls ? "; Secure" : "");
}

bool host_allowed(const Site& site, std::string_view host) {
  if (!site.loopback) return !host.empty();
  std::string h = lower(host);
  for (const char* name : {"127.0.0.1", "localhost", "[::1]"})
    if (h == fmt::format("{}:{}", name, site.port)) return true;
  return false;
}

bool origin_matches(const Site& site, std::string_view origin, std::string_view host) {
  if (origin.empty() || host.empty()) return false;
  return lower(origin) == fmt::format("{}://{}", site.tls ? "https" : "http", lower(host));
}

}  // namespace berth::ui
