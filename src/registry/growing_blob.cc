#include "registry/growing_blob.h"

#include <unistd.h>

#include <cerrno>

namespace berth::registry {

class GrowingBlob::Reader final : public layer::ByteSource {
 public:
  explicit Reader(std::shared_ptr<GrowingBlob> blob) : blob_(std::move(blob)) {}

  Result<size_t> read(char* buf, size_t cap) override {
    uint64_t ready = TRY(blob_->wait_past(offset_));
    if (ready == 0) return size_t{0};
    size_t want = static_cast<size_t>(std::min<uint64_t>(ready, cap));
    for (;;) {
      ssize_t n = ::pread(blob_->file_.get(), buf, want, static_cast<off_t>(offset_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("reading the downloaded layer");
      // The bytes were written before advance() said so: a short read is the file shrinking.
      if (n == 0) return fail(Errc::Internal, "the downloaded layer ended before its announced size");
      offset_ += static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
  }

 private:
  std::shared_ptr<GrowingBlob> blob_;
  uint64_t offset_ = 0;
};

std::shared_ptr<GrowingBlob> GrowingBlob::make(UniqueFd file) {
  return std::shared_ptr<GrowingBlob>(new GrowingBlob(std::move(file)));
}

void GrowingBlob::advance(uint64_t written) {
  {
    std::lock_guard lock(mu_);
    if (written <= available_) return;
    available_ = written;
  }
  grown_.notify_all();
}

void GrowingBlob::finish(std::optional<Error> failure) {
  {
    std::lock_guard lock(mu_);
    finished_ = true;
    failure_ = std::move(failure);
  }
  grown_.notify_all();
}

std::unique_ptr<layer::ByteSource> GrowingBlob::reader() { return std::make_unique<Reader>(shared_from_this()); }

Result<uint64_t> GrowingBlob::wait_past(uint64_t offset) {
  std::unique_lock lock(mu_);
  grown_.wait(lock, [&] { return available_ > offset || finished_; });
  // A failed download fails its readers at once: what they read may be wrong.
  if (failure_) return std::unexpected(*failure_);
  return available_ - offset;
}

}  // namespace berth::registry
