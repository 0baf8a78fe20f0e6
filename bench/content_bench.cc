// sha256 throughput of berth's streaming hasher against `openssl speed` on the
// same CPU. Target: berth within 10% of openssl (both use SHA-NI via EVP).
// Run: build/bench/content_bench [MiB]   (default 256 MiB, 1 MiB chunks)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "content/digest.h"

namespace {

using Clock = std::chrono::steady_clock;

// Best of `rounds` passes over the buffer in 1 MiB chunks, in MB/s (10^6 bytes).
double berth_mbps(const std::vector<char>& buf, int rounds, int passes = 1) {
  constexpr size_t kChunk = 1 << 20;
  double best = 0;
  for (int r = 0; r < rounds; ++r) {
    auto h = berth::content::Hasher::create();
    if (!h) std::abort();
    auto t0 = Clock::now();
    for (int pass = 0; pass < passes; ++pass)
      for (size_t off = 0; off < buf.size(); off += kChunk)
        h->update(buf.data() + off, std::min(kChunk, buf.size() - off));
    auto d = h->finish();
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    double mbps = static_cast<double>(buf.size()) * passes / secs / 1e6;
    std::printf("  berth round %d: %.1f MB/s (%s)\n", r + 1, mbps, d.str().substr(0, 19).c_str());
    best = std::max(best, mbps);
  }
  return best;
}

// Parses the "sha256  123456.78k" line (1000s of bytes per second); 0 if absent.
double openssl_mbps() {
  const char* cmd = "openssl speed -evp sha256 -bytes 16384 -seconds 3 2>/dev/null";
  std::printf("running: %s\n", cmd);
  FILE* p = ::popen(cmd, "r");
  if (!p) return 0;
  char line[512];
  double kbps = 0;
  while (std::fgets(line, sizeof line, p)) {
    std::string_view l(line);
    if (l.starts_with("sha256") || l.starts_with("SHA256")) {
      const char* num = line + std::strcspn(line, " \t");
      kbps = std::strtod(num, nullptr);
    }
  }
  ::pclose(p);
  return kbps / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  std::vector<char> buf(mib << 20);
  uint32_t x = 12345;
  for (auto& c : buf) c = static_cast<char>((x = x * 1664525u + 1013904223u) >> 24);

  std::printf("berth Hasher sha256, %zu MiB in 1 MiB chunks, best of 5:\n", mib);
  double berth = berth_mbps(buf, 5);
  // Same bytes from a cache-resident 1 MiB buffer: the hasher alone, as
  // openssl speed measures it (its 16 KiB buffer never leaves cache).
  std::printf("same, 1 MiB cache-resident buffer hashed %zu times:\n", mib);
  double cached = berth_mbps(std::vector<char>(buf.begin(), buf.begin() + (1 << 20)), 3,
                             static_cast<int>(mib));
  double openssl = openssl_mbps();
  std::printf("berth   sha256: %8.1f MB/s (256 MiB buffer, 1 MiB chunks)\n", berth);
  std::printf("berth   sha256: %8.1f MB/s (cache-resident)\n", cached);
  if (openssl <= 0) {
    std::printf("openssl sha256: not measured (run the command above by hand)\n");
    return 0;
  }
  double ratio = berth / openssl;
  std::printf("openssl sha256: %8.1f MB/s (speed -evp sha256 -bytes 16384)\n", openssl);
  std::printf("berth/openssl:  %.3f  -> %s (target >= 0.90)\n", ratio,
              ratio >= 0.9 ? "within 10%" : "MORE THAN 10% SLOWER");
  return 0;
}
