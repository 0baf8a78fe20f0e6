// Fuzz target: receiving a build context (buildfs/context.h) from a fuzzed
// POST /build body (a tar, plain or compressed, or a Dockerfile alone; cut
// anywhere), into a directory fenced as SANDBOX/a/b/ctx. Checks, per input:
//  - no crash, no leak, no sanitizer report;
//  - nothing appeared outside ctx: the fence holds only a/b/ctx, and ctx is
//    still the same directory;
//  - a received context counted every byte of the body.
// The body arrives in pieces whose size the input's first byte picks, as a
// client's chunks do. Then ctx is emptied for the next input.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/log.h"
#include "buildfs/context.h"
#include "fuzz_check.h"
#include "fuzz_fence.h"

namespace {

fuzz_fence::Fence fence;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  berth::log::configure(-1, berth::log::Format::Text, berth::log::Level::Error);
  fence.make("berth-fuzz-context", "ctx");
  std::atexit([] { fence.remove(); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = data[0] == 0 ? size : data[0];  // 1..255 bytes per read, or all at once
  const uint8_t* body = data + 1;
  size_t left = size - 1, total = size - 1;
  auto read = [&](char* buf, size_t len) -> berth::Result<size_t> {
    size_t n = std::min({len, left, piece});
    std::memcpy(buf, body, n);
    body += n;
    left -= n;
    return n;
  };
  auto r = berth::buildfs::receive_context(read, fence.path());
  fence.check();
  if (r) FUZZ_CHECK(r->bytes == total, "received " + std::to_string(r->bytes) + " of " + std::to_string(total) + " bytes");
  fence.empty();
  return 0;
}
