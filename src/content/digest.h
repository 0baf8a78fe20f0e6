// Content addresses: "algorithm:hex". The algorithm is part of the address so
// more can be added; today only sha256 (64 lowercase hex) is accepted. Because
// a digest becomes a file name in the store, validation is what keeps paths
// inside the store root: anything with '/', '..' or other bytes is refused.
#pragma once

#include <openssl/evp.h>

#include <compare>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::content {

inline constexpr std::string_view kSha256 = "sha256";

class Digest {
 public:
  // Parses and validates "sha256:<64 lowercase hex>"; InvalidArgument otherwise.
  static Result<Digest> parse(std::string_view text);
  static Result<Digest> from_parts(std::string_view algorithm, std::string_view hex);

  const std::string& algorithm() const { return algorithm_; }
  const std::string& hex() const { return hex_; }
  std::string str() const { return algorithm_ + ":" + hex_; }

  auto operator<=>(const Digest&) const = default;
  bool operator==(const Digest&) const = default;

 private:
  friend class Hasher;
  Digest(std::string algorithm, std::string hex)
      : algorithm_(std::move(algorithm)), hex_(std::move(hex)) {}
  std::string algorithm_;
  std::string hex_;
};

// Streaming hasher: feed chunks, then finish once. One pass over the data.
class Hasher {
 public:
  static Result<Hasher> create(std::string_view algorithm = kSha256);

  void update(const void* data, size_t len);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Finalises the hash; the hasher must not be fed afterwards.
  Digest finish();
  const std::string& algorithm() const { return algorithm_; }

 private:
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  Hasher(std::string algorithm, EVP_MD_CTX* ctx) : algorithm_(std::move(algorithm)), ctx_(ctx) {}
  std::string algorithm_;
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
};

// One-shot sha256 of a buffer.
Digest sha256(std::string_view data);

}  // namespace berth::content

template <>
struct std::hash<berth::content::Digest> {
  size_t operator()(const berth::content::Digest& d) const noexcept {
    return std::hash<std::string>()(d.hex());
  }
};
