#include "registry/gzip_layer.h"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace berth::registry {
namespace {

constexpr size_t kWindow = 32 << 10;  // deflate's history: what a block's dictionary is
constexpr unsigned kMaxThreads = 64;
constexpr unsigned kMaxDefaultThreads = 16;
// ID1 ID2 CM=deflate FLG=0, MTIME=0, XFL=0, OS=3 (Unix): what zlib writes for level 6 on Unix.
constexpr unsigned char kHeader[10] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03};

struct Block {
  std::string in;
  std::string dict;  // the previous block's last 32 KiB of input
  bool last = false;
  std::string out;   // its raw deflate
  uLong crc = 0;
  bool done = false;
  bool failed = false;
};

// One deflate state, reset for each block: a block's bytes do not depend on
// which state (thread) compressed it.
class Deflater {
 public:
  Deflater() { ok_ = deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK; }
  ~Deflater() {
    if (ok_) deflateEnd(&z_);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  bool compress(Block& b) {
    b.crc = crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(b.in.data()), static_cast<uInt>(b.in.size()));
    if (!ok_ || deflateReset(&z_) != Z_OK) return false;
    if (!b.dict.empty() &&
        deflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(b.dict.data()), static_cast<uInt>(b.dict.size())) != Z_OK)
      return false;
    int flush = b.last ? Z_FINISH : Z_SYNC_FLUSH;
    // deflateBound does not count a sync flush's marker: room for it, and more if needed.
    b.out.resize(deflateBound(&z_, static_cast<uLong>(b.in.size())) + 64);
    z_.next_in = reinterpret_cast<Bytef*>(b.in.data());
    z_.avail_in = static_cast<uInt>(b.in.size());
    size_t produced = 0;
    while (true) {
      z_.next_out = reinterpret_cast<Bytef*>(b.out.data() + produced);
      z_.avail_out = static_cast<uInt>(b.out.size() - produced);
      int rc = deflate(&z_, flush);
      produced = b.out.size() - z_.avail_out;
      if (rc == Z_STREAM_ERROR) return false;
      bool finished = flush == Z_FINISH ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0);
      if (finished) break;
      if (z_.avail_out == 0) b.out.resize(b.out.size() * 2);
    }
    b.out.resize(produced);
    return true;
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

void put_le32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

unsigned gzip_threads(unsigned threads) {
  if (threads == 0) threads = std::min(std::max(std::thread::hardware_concurrency(), 1u), kMaxDefaultThreads);
  return std::min(threads, kMaxThreads);
}

struct GzipReader::Impl {
  Source source;
  size_t block_size;
  unsigned threads;
  size_t window;  // blocks in flight at most

  // Workers take blocks from `todo`; the reader hands them out from `order`.
  std::mutex mu;
  std::condition_variable work_cv, done_cv;
  std::deque<std::shared_ptr<Block>> todo;
  bool stopping = false;
  std::vector<std::thread> workers;
  std::optional<Deflater> inline_deflater;  // one thread: no workers

  std::deque<std::shared_ptr<Block>> order;
  std::string next_in;  // the block read ahead (a full block's successor says whether it was the last)
  bool started = false, all_submitted = false;
  std::string prev_tail;
  enum class Stage { Header, Body, Trailer, End } stage = Stage::Header;
  std::string pending;  // stream bytes ready to hand out
  size_t pending_at = 0;
  uLong crc = crc32(0, nullptr, 0);
  uint64_t total_in = 0;
  std::atomic<uint64_t> consumed{0};

  void work() {
    Deflater d;
    while (true) {
      std::shared_ptr<Block> b;
      {
        std::unique_lock lk(mu);
        work_cv.wait(lk, [&] { return stopping || !todo.empty(); });
        if (stopping) return;
        b = std::move(todo.front());
        todo.pop_front();
      }
      bool ok = d.compress(*b);
      {
        std::lock_guard lk(mu);
        b->failed = !ok;
        b->done = true;
      }
      done_cv.notify_all();
    }
  }

  // A block's worth of input (less only at the end of the input).
  Result<std::string> read_block() {
    std::string buf(block_size, '\0');
    size_t got = 0;
    while (got < buf.size()) {
      ssize_t n = source(buf.data() + got, buf.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("reading the layer to compress");
      if (n == 0) break;
      got += static_cast<size_t>(n);
      consumed += static_cast<uint64_t>(n);
    }
    buf.resize(got);
    return buf;
  }

  Result<void> submit_next() {
    if (!started) {
      next_in = TRY(read_block());
      started = true;
    }
    auto b = std::make_shared<Block>();
    b->in = std::move(next_in);
    next_in.clear();
    if (b->in.size() < block_size) {
      b->last = true;
    } else {
      next_in = TRY(read_block());
      b->last = next_in.empty();
    }
    all_submitted = b->last;
    b->dict = prev_tail;
    prev_tail = b->in.substr(b->in.size() - std::min(b->in.size(), kWindow));
    order.push_back(b);
    if (inline_deflater) {
      b->failed = !inline_deflater->compress(*b);
      b->done = true;
      return {};
    }
    {
      std::lock_guard lk(mu);
      todo.push_back(std::move(b));
    }
    work_cv.notify_one();
    return {};
  }

  // The next bytes of the stream into `pending`; false at its end.
  Result<bool> refill() {
    pending.clear();
    pending_at = 0;
    switch (stage) {
      case Stage::Header:
        pending.assign(reinterpret_cast<const char*>(kHeader), sizeof kHeader);
        stage = Stage::Body;
        return true;
      case Stage::Body: {
        while (!all_submitted && order.size() < window) TRYV(submit_next());
        std::shared_ptr<Block> b = order.front();
        {
          std::unique_lock lk(mu);
          done_cv.wait(lk, [&] { return b->done; });
        }
        order.pop_front();
        if (b->failed) return fail(Errc::Internal, "compressing the layer: zlib failed");
        crc = crc32_combine(crc, b->crc, static_cast<z_off_t>(b->in.size()));
        total_in += b->in.size();
        pending = std::move(b->out);
        if (b->last) stage = Stage::Trailer;
        return true;
      }
      case Stage::Trailer:
        put_le32(pending, static_cast<uint32_t>(crc));
        put_le32(pending, static_cast<uint32_t>(total_in & 0xffffffffu));
        stage = Stage::End;
        return true;
      case Stage::End:
        return false;
    }
    return false;
  }
};

GzipReader::GzipReader(Source source, GzipOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->source = std::move(source);
  impl_->block_size = std::max<size_t>(options.block_size, kWindow);
  impl_->threads = gzip_threads(options.threads);
  impl_->window = 2 * static_cast<size_t>(impl_->threads);
  if (impl_->threads == 1) {
    impl_->inline_deflater.emplace();
  } else {
    for (unsigned i = 0; i < impl_->threads; ++i) impl_->workers.emplace_back([this] { impl_->work(); });
  }
}

GzipReader::~GzipReader() {
  {
    std::lock_guard lk(impl_->mu);
    impl_->stopping = true;
  }
  impl_->work_cv.notify_all();
  for (auto& t : impl_->workers) t.join();
}

Result<size_t> GzipReader::read(char* buf, size_t len) {
  while (impl_->pending_at == impl_->pending.size())
    if (!TRY(impl_->refill())) return size_t{0};
  size_t n = std::min(len, impl_->pending.size() - impl_->pending_at);
  std::memcpy(buf, impl_->pending.data() + impl_->pending_at, n);
  impl_->pending_at += n;
  return n;
}

uint64_t GzipReader::consumed() const { return impl_->consumed; }

}  // namespace berth::registry
