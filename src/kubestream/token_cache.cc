#include "kubestream/token_cache.h"

#include <sys/random.h>

#include <cerrno>

#include "base/base64.h"

namespace berth::kubestream {

Result<std::string> random_bytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail_errno("reading random bytes for a stream token");
    }
    got += static_cast<size_t>(r);
  }
  return out;
}

TokenCache::TokenCache(std::chrono::steady_clock::duration ttl, Clock clock, size_t max_entries)
    : ttl_(ttl), clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })),
      max_entries_(max_entries) {}

void TokenCache::evict_expired_locked(std::chrono::steady_clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires <= now) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<std::string> TokenCache::insert(StreamRequest req) {
  auto now = clock_();
  std::lock_guard lock(mu_);
  evict_expired_locked(now);
  if (entries_.size() >= max_entries_) {
    return fail(Errc::Unavailable, "too many streaming requests waiting for a client (" +
                                       std::to_string(entries_.size()) + "); try again later");
  }
  for (;;) {
    std::string token = base64::encode_url(TRY(random_bytes(16)));
    while (!token.empty() && token.back() == '=') token.pop_back();
    if (entries_.contains(token)) continue;  // 128 random bits: never in practice
    entries_.emplace(token, Entry{std::move(req), now + ttl_});
    return token;
  }
}

std::optional<StreamRequest> TokenCache::consume(const std::string& token) {
  auto now = clock_();
  std::lock_guard lock(mu_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return std::nullopt;
  Entry e = std::move(it->second);
  entries_.erase(it);
  if (e.expires <= now) return std::nullopt;
  return std::move(e.req);
}

size_t TokenCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace berth::kubestream
