// A blob that is still being downloaded, readable while it arrives. The
// downloader writes into its content-store ingest and says how far it got
// (advance) and, at the end, whether the blob verified (finish). Readers
// follow the same file from byte 0 through their own offsets and wait for
// more instead of seeing an early end; they see the end only once the
// download has verified, and the downloader's error if it failed. So a
// pull unpacks a layer as its bytes come in, and a retried (ranged) download
// just continues the file they read.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "base/error.h"
#include "base/unique_fd.h"
#include "layer/byte_source.h"

namespace berth::registry {

class GrowingBlob : public std::enable_shared_from_this<GrowingBlob> {
 public:
  // file: a read-only descriptor of the ingest (content::Writer::open_reader).
  static std::shared_ptr<GrowingBlob> make(UniqueFd file);

  // Downloader side.
  void advance(uint64_t written);
  void finish(std::optional<Error> failure);  // nullopt: every byte is written and verified

  // A reader from byte 0; it keeps this blob alive.
  std::unique_ptr<layer::ByteSource> reader();

 private:
  explicit GrowingBlob(UniqueFd file) : file_(std::move(file)) {}
  class Reader;
  // Blocks until bytes past `offset` exist or the download ended; returns
  // how many may be read at offset (0: the end).
  Result<uint64_t> wait_past(uint64_t offset);

  UniqueFd file_;
  std::mutex mu_;
  std::condition_variable grown_;
  uint64_t available_ = 0;
  bool finished_ = false;
  std::optional<Error> failure_;
};

}  // namespace berth::registry
