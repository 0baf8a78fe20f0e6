// The gzip of a plain layer tar, as a push sends it: made block-parallel, as
// pigz does, and deterministic, so pushing an image twice (from any berth
// since this format, on any number of cores) sends the same blob with the
// same digest.
//
// The format ("berth gzip v1"; changing any of it changes pushed digests):
//   header   1f 8b 08 00 00000000 00 03  (no name, mtime 0, Unix)
//   body     the input cut into kGzipBlockSize blocks (the last one shorter;
//            one empty block for an empty input), each compressed on its own
//            as raw deflate, level 6, 32 KiB window, memLevel 8, default
//            strategy, its dictionary the previous block's last 32 KiB of
//            input; every block but the last ends with a sync flush (byte
//            aligned, not final), the last with Z_FINISH. Concatenated in
//            order, they are one deflate stream.
//   trailer  CRC-32 of the input (blocks' CRCs combined) and its size mod
//            2^32, little-endian.
// Only the speed depends on the number of threads. The bytes also depend on
// zlib's deflate: the same zlib gives the same bytes, but zlib has changed its
// output for some inputs before (1.2.12), and another deflate (zlib-ng) gives
// other bytes. A unit test pins the digest of a fixed input, so a build whose
// zlib would change pushed digests is noticed.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/error.h"

namespace berth::registry {

inline constexpr size_t kGzipBlockSize = 512 << 10;

struct GzipOptions {
  unsigned threads = 0;                 // 0: the machine's cores; 1: all on the reading thread
  size_t block_size = kGzipBlockSize;   // tests and benchmarks only: another size is another format
};

// Pulls the input from `source` (as read(2): bytes, 0 at the end, -1 with
// errno) and hands out its gzip stream. Up to 2 blocks per thread are in
// flight (read, compressing or waiting to be handed out): memory stays
// bounded whatever the input's size. Use from one thread.
class GzipReader {
 public:
  using Source = std::function<ssize_t(char* buf, size_t len)>;
  explicit GzipReader(Source source, GzipOptions options = {});
  ~GzipReader();  // stops and joins the workers, whatever is in flight
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Up to len bytes of the stream, 0 once it has all been handed out.
  Result<size_t> read(char* buf, size_t len);
  // Input bytes read from the source so far (what progress shows).
  uint64_t consumed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The number of compression threads `threads` stands for (0: the cores).
unsigned gzip_threads(unsigned threads);

}  // namespace berth::registry
