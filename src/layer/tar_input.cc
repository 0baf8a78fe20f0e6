#include "layer/tar_input.h"
#include "layer/archive_error.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::layer {
namespace {
constexpr size_t kBufSize = 1 << 20;
constexpr size_t kChunk = 1 << 20;
constexpr size_t kQueued = 4;
}

TarInput::~TarInput() {
  if (producer_.joinable()) {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    producer_.join();
  }
}

la_ssize_t TarInput::read_source(archive* a, void* p, const void** out) {
  auto* self = static_cast<TarInput*>(p);
  auto n = self->source_.read(self->buf_.get(), kBufSize);
  if (!n) {
    archive_set_error(a, n.error().sys_errno ? n.error().sys_errno : EIO, "%s", n.error().str().c_str());
    self->source_error_ = n.error();
    return -1;
  }
  self->compressed_.update(self->buf_.get(), *n);
  self->size += *n;
  *out = self->buf_.get();
  return static_cast<la_ssize_t>(*n);
}

Result<size_t> FdSource::read(char* buf, size_t cap) {
  for (;;) {
    ssize_t n = ::read(fd_, buf, cap);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading layer");
    return static_cast<size_t>(n);
  }
}

int TarInput::pull(const void** out, size_t* len) {
  la_int64_t offset = 0;
  int r = archive_read_data_block(raw_.get(), out, len, &offset);
  if (r == ARCHIVE_EOF) return 0;
  if (r != ARCHIVE_OK) return -1;
  if (!passthrough_) uncompressed_.update(*out, *len);  // else identical to the compressed hash
  uncompressed_size += *len;
  return 1;
}

void TarInput::produce() {
  std::string chunk;
  chunk.reserve(kChunk);
  int r;
  for (;;) {
    const void* buf;
    size_t len = 0;
    r = pull(&buf, &len);
    if (r > 0) chunk.append(static_cast<const char*>(buf), len);
    if (chunk.size() >= kChunk || (r <= 0 && !chunk.empty())) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return chunks_.size() < kQueued || stop_; });
      if (stop_) return;
      chunks_.push_back(std::move(chunk));
      cv_.notify_all();
      chunk = std::string();
      chunk.reserve(kChunk);
    }
    if (r <= 0) break;
  }
  std::lock_guard lock(mu_);
  if (r < 0) error_ = archive_message(raw_.get());
  produced_all_ = true;
  cv_.notify_all();
}

la_ssize_t TarInput::read_raw(archive* a, void* p, const void** out) {
  auto* self = static_cast<TarInput*>(p);
  if (self->raw_eof_) return 0;
  if (!self->producer_.joinable()) {
    size_t len = 0;
    int r = self->pull(out, &len);
    if (r > 0) return static_cast<la_ssize_t>(len);
    if (r == 0) {
      self->raw_eof_ = true;
      return 0;
    }
    archive_set_error(a, EIO, "decompressing layer: %s", archive_message(self->raw_.get()).c_str());
    self->raw_error_ = 1;
    return -1;
  }
  std::unique_lock lock(self->mu_);
  self->cv_.wait(lock, [&] { return !self->chunks_.empty() || self->produced_all_; });
  if (!self->chunks_.empty()) {
    self->current_ = std::move(self->chunks_.front());
    self->chunks_.pop_front();
    self->cv_.notify_all();
    *out = self->current_.data();
    return static_cast<la_ssize_t>(self->current_.size());
  }
  if (!self->error_.empty()) {
    archive_set_error(a, EIO, "decompressing layer: %s", self->error_.c_str());
    self->raw_error_ = 1;
    return -1;
  }
  self->raw_eof_ = true;
  return 0;
}

Result<std::unique_ptr<TarInput>> TarInput::open(ByteSource& source) {
  auto c = TRY(content::Hasher::create());
  auto u = TRY(content::Hasher::create());
  std::unique_ptr<TarInput> in(new TarInput(source, std::move(c), std::move(u)));
  in->buf_.reset(new char[kBufSize]);
  // Decompressor: the raw format passes through whatever the filters produce.
  in->raw_ = TRY(new_reader(TarStream::Decompressor));
  archive* raw = in->raw_.get();
  if (archive_read_open(raw, in.get(), nullptr, &TarInput::read_source, nullptr) != ARCHIVE_OK)
    return fail(Errc::InvalidArgument, std::string("opening layer stream: ") + archive_message(raw));
  archive_entry* e = nullptr;
  if (archive_read_next_header(raw, &e) != ARCHIVE_OK)
    return fail(Errc::InvalidArgument, std::string("reading layer stream: ") + archive_message(raw));
  in->passthrough_ = archive_filter_code(raw, 0) == ARCHIVE_FILTER_NONE;
  // Even uncompressed, reading and hashing overlap with extraction this way.
  in->producer_ = std::thread([p = in.get()] { p->produce(); });
  // Tar reader: tar formats only, no filters (the bytes are already plain).
  in->tar_ = TRY(new_reader(TarStream::PlainTar));
  if (archive_read_open(in->tar_.get(), in.get(), nullptr, &TarInput::read_raw, nullptr) != ARCHIVE_OK)
    return fail(Errc::InvalidArgument, std::string("opening layer tar: ") + archive_message(in->tar_.get()));
  return in;
}

Result<void> TarInput::finish() {
  const void* buf;
  while (!raw_eof_) {
    la_ssize_t n = read_raw(tar_.get(), this, &buf);
    if (n < 0)
      return fail(Errc::InvalidArgument,
                  std::string("reading layer stream: ") + archive_message(tar_.get()));
  }
  if (producer_.joinable()) producer_.join();
  // Bytes after the compressed stream still belong to the blob.
  for (;;) {
    la_ssize_t n = read_source(raw_.get(), this, &buf);
    if (n < 0) return std::unexpected(*source_error_);
    if (n == 0) break;
  }
  digest = compressed_.finish();
  diff_id = passthrough_ ? *digest : uncompressed_.finish();
  return {};
}

}  // namespace berth::layer
