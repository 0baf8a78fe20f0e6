#include "content/digest.h"

#include <cstdlib>

namespace berth::content {
namespace {

// Hex length per supported algorithm; 0 means unsupported.
size_t hex_length(std::string_view algorithm) { return algorithm == kSha256 ? 64 : 0; }

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

const EVP_MD* evp_for(std::string_view algorithm) {
  return algorithm == kSha256 ? EVP_sha256() : nullptr;
}

}  // namespace

Result<Digest> Digest::from_parts(std::string_view algorithm, std::string_view hex) {
  std::string shown = std::string(algorithm) + ":" + std::string(hex);
  size_t want = hex_length(algorithm);
  if (want == 0)
    return fail(Errc::InvalidArgument, "invalid digest '" + shown + "': unsupported algorithm '" +
                                           std::string(algorithm) + "' (supported: sha256)");
  if (hex.size() != want || !is_lower_hex(hex))
    return fail(Errc::InvalidArgument, "invalid digest '" + shown + "': " +
                                           std::string(algorithm) + " needs " +
                                           std::to_string(want) + " lowercase hex characters");
  return Digest(std::string(algorithm), std::string(hex));
}

Result<Digest> Digest::parse(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return fail(Errc::InvalidArgument,
                "invalid digest '" + std::string(text) + "': expected 'algorithm:hex'");
  return from_parts(text.substr(0, colon), text.substr(colon + 1));
}

Result<Hasher> Hasher::create(std::string_view algorithm) {
  const EVP_MD* md = evp_for(algorithm);
  if (!md)
    return fail(Errc::Unsupported, "hash algorithm '" + std::string(algorithm) + "' unsupported");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return fail(Errc::Internal, "initialising " + std::string(algorithm) + " hasher failed");
  }
  return Hasher(std::string(algorithm), ctx);
}

void Hasher::update(const void* data, size_t len) {
  // With SHA-NI the hash outruns the hardware prefetcher on data that is not in
  // cache (1.2 GB/s instead of 1.75 here), so large updates go in 4 KiB slices
  // (measured best of 4/8/16 KiB with bench/content_bench) while
  // the next slice is prefetched.
  constexpr size_t kSlice = 4 << 10;
  constexpr size_t kLine = 64;
  auto* p = static_cast<const unsigned char*>(data);
  while (len > 0) {
    size_t n = len < kSlice ? len : kSlice;
    size_t ahead = len - n < kSlice ? len - n : kSlice;
    for (size_t off = 0; off < ahead; off += kLine) __builtin_prefetch(p + n + off);
    // Only fails on a broken context, which would be a programming error.
    if (EVP_DigestUpdate(ctx_.get(), p, n) != 1) std::abort();
    p += n;
    len -= n;
  }
}

Digest Hasher::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) std::abort();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    hex[2 * i] = kHex[md[i] >> 4];
    hex[2 * i + 1] = kHex[md[i] & 0xf];
  }
  return Digest(algorithm_, std::move(hex));
}

Digest sha256(std::string_view data) {
  auto h = Hasher::create(kSha256);
  if (!h) std::abort();  // sha256 is always available; only OOM gets here
  h->update(data);
  return h->finish();
}

}  // namespace berth::content
