// Single-use tokens for the streaming URLs. The CRI RPC (Exec, Attach,
// PortForward) stores its request under a fresh random token and returns the
// URL; the first connection that presents the token takes the request out.
// Tokens expire after a TTL, so URLs that nobody fetched do not pile up and an
// old URL cannot be replayed. The clock is injected so tests need not sleep.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "base/error.h"
#include "kubestream/stream_server.h"

namespace berth::kubestream {

using StreamRequest = std::variant<ExecRequest, AttachRequest, PortForwardRequest>;

class TokenCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  TokenCache(std::chrono::steady_clock::duration ttl, Clock clock, size_t max_entries = 4096);

  // A fresh token (16 random bytes, base64url without padding) for req.
  // Unavailable when the cache is full of live tokens.
  Result<std::string> insert(StreamRequest req);
  // The request for token, removed from the cache; nullopt when unknown or expired.
  std::optional<StreamRequest> consume(const std::string& token);
  size_t size() const;

 private:
  void evict_expired_locked(std::chrono::steady_clock::time_point now);

  struct Entry {
    StreamRequest req;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::steady_clock::duration ttl_;
  Clock clock_;
  size_t max_entries_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

// n random bytes from the kernel (getrandom).
Result<std::string> random_bytes(size_t n);

}  // namespace berth::kubestream
