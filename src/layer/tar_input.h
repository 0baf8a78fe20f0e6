// The read side of a layer: a ByteSource -> (sha256 of compressed bytes) -> libarchive
// decompression (raw format, any supported filter) -> (sha256 of tar bytes)
// -> a tar-only libarchive reader. Two archive objects chained through read
// callbacks, so both digests come out of the single pass. The
// stream is read, decompressed and hashed on a second thread, as `tar -xz`
// runs gzip in its own process: apply costs about max(decompress, extract).
#pragma once

#include <archive.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/error.h"
#include "content/digest.h"
#include "layer/byte_source.h"
#include "layer/tar_reader.h"

namespace berth::layer {

class TarInput {
 public:
  static Result<std::unique_ptr<TarInput>> open(ByteSource& source);
  ~TarInput();
  TarInput(const TarInput&) = delete;
  TarInput& operator=(const TarInput&) = delete;

  archive* tar() { return tar_.get(); }
  // Reads what the tar reader left (end-of-archive padding) so the digests
  // cover the whole stream, then finalises them.
  Result<void> finish();

  std::optional<content::Digest> diff_id, digest;
  uint64_t size = 0, uncompressed_size = 0;

 private:
  TarInput(ByteSource& source, content::Hasher c, content::Hasher u)
      : source_(source), compressed_(std::move(c)), uncompressed_(std::move(u)) {}
  static la_ssize_t read_source(archive*, void* self, const void** buf);
  static la_ssize_t read_raw(archive*, void* self, const void** buf);
  // One block of decompressed bytes, hashed: 1 data, 0 end, -1 error.
  int pull(const void** buf, size_t* len);
  void produce();

  ByteSource& source_;
  std::optional<Error> source_error_;  // the source's own, kept whole for finish()
  content::Hasher compressed_, uncompressed_;
  ArchiveReader raw_;
  ArchiveReader tar_;  // after raw_: freed before it
  std::unique_ptr<char[]> buf_;
  bool passthrough_ = false;  // no compression filter
  bool raw_eof_ = false;
  int raw_error_ = 0;
  // Decompression thread and its bounded queue of chunks.
  std::thread producer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  std::string current_;  // the chunk libarchive is reading now
  bool produced_all_ = false, stop_ = false;
  std::string error_;
};

}  // namespace berth::layer
