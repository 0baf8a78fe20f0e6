// A layer blob compressed for a registry: gzip of the stored (uncompressed)
// tar, into the content store. Deterministic (no timestamp in the header, a
// fixed level), so pushing an image twice sends the same blob, with the same
// digest.
#pragma once

#include <cstdint>
#include <functional>

#include "base/error.h"
#include "content/store.h"

namespace berth::registry {

struct CompressedBlob {
  content::Digest digest = content::sha256({});
  uint64_t size = 0;
};

// progress(bytes of the input read so far).
Result<CompressedBlob> gzip_blob(content::Store& store, const content::Digest& uncompressed,
                                 const std::function<void(uint64_t)>& progress = {});

}  // namespace berth::registry
