// Where a layer's (compressed) bytes come from when it is applied: a file or
// pipe, or a blob still being downloaded (registry::GrowingBlob's reader),
// so a pull unpacks a layer while its bytes arrive.
#pragma once

#include <cstddef>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::layer {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to cap bytes into buf; 0 at the end. Blocks until some arrive.
  virtual Result<size_t> read(char* buf, size_t cap) = 0;
};

// read(2) on a file descriptor the caller owns.
class FdSource final : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  Result<size_t> read(char* buf, size_t cap) override;

 private:
  int fd_;
};

// The same over a descriptor it owns (a stored blob opened for the reader).
class FileSource final : public ByteSource {
 public:
  explicit FileSource(UniqueFd fd) : fd_(std::move(fd)), source_(fd_.get()) {}
  Result<size_t> read(char* buf, size_t cap) override { return source_.read(buf, cap); }

 private:
  UniqueFd fd_;
  FdSource source_;
};

}  // namespace berth::layer
