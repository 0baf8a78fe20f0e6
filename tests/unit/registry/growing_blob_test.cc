// A blob read while it downloads: readers wait for bytes instead of seeing an
// early end, see the end only once the download verified, and fail with the
// download's error. Reader and writer run on two threads, as in a pull; the
// writer waits for the reader's progress through a pipe-free handshake (a
// condition variable), never by sleeping.
#include "registry/growing_blob.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

using namespace berth;
using namespace berth::registry;

namespace {

class GrowingBlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/growing-blob-XXXXXX";
    int fd = ::mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    path_ = tmpl;
    writer_ = UniqueFd(fd);
    UniqueFd reader(::open(tmpl, O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(reader);
    blob_ = GrowingBlob::make(std::move(reader));
  }
  void TearDown() override { ::unlink(path_.c_str()); }

  void append(const std::string& bytes) {
    ASSERT_EQ(::write(writer_.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    written_ += bytes.size();
    blob_->advance(written_);
  }
  static std::string read_some(layer::ByteSource& r, size_t cap = 64) {
    std::string buf(cap, '\0');
    auto n = r.read(buf.data(), buf.size());
    EXPECT_TRUE(n) << (n ? "" : n.error().str());
    buf.resize(n ? *n : 0);
    return buf;
  }

  std::string path_;
  UniqueFd writer_;
  uint64_t written_ = 0;
  std::shared_ptr<GrowingBlob> blob_;
};

TEST_F(GrowingBlobTest, ReadsWhatIsThereThenTheRestThenTheEnd) {
  append("hello ");
  auto r = blob_->reader();
  EXPECT_EQ(read_some(*r), "hello ");
  append("world");
  EXPECT_EQ(read_some(*r, 3), "wor");
  EXPECT_EQ(read_some(*r), "ld");
  blob_->finish(std::nullopt);
  EXPECT_EQ(read_some(*r), "");
}

TEST_F(GrowingBlobTest, AReaderWaitsForBytesInsteadOfSeeingAnEnd) {
  auto r = blob_->reader();
  std::mutex mu;
  std::condition_variable cv;
  bool reading = false;
  std::string got;
  std::thread reader([&] {
    {
      std::lock_guard lk(mu);
      reading = true;
    }
    cv.notify_all();
    got = read_some(*r);  // blocks: nothing is written yet
  });
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return reading; });
  }
  append("late bytes");
  reader.join();
  EXPECT_EQ(got, "late bytes");
}

TEST_F(GrowingBlobTest, AReaderThatCaughtUpSeesTheEndOnlyIfTheBlobVerified) {
  append("all of it");
  auto r = blob_->reader();
  EXPECT_EQ(read_some(*r), "all of it");
  // Every byte read, but the digest was wrong: no end-of-stream, an error.
  blob_->finish(Error{Errc::InvalidArgument, 0, "digest mismatch"});
  std::string buf(16, '\0');
  auto n = r->read(buf.data(), buf.size());
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().message, "digest mismatch");
}

TEST_F(GrowingBlobTest, AFailedDownloadFailsItsReaders) {
  append("partial");
  auto r = blob_->reader();
  blob_->finish(Error{Errc::InvalidArgument, 0, "digest mismatch"});
  std::string buf(16, '\0');
  auto n = r->read(buf.data(), buf.size());
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().message, "digest mismatch");
}

TEST_F(GrowingBlobTest, EachReaderHasItsOwnOffsetAndKeepsTheBlobAlive) {
  append("abcdef");
  auto a = blob_->reader();
  auto b = blob_->reader();
  blob_->finish(std::nullopt);
  blob_.reset();
  EXPECT_EQ(read_some(*a, 2), "ab");
  EXPECT_EQ(read_some(*b), "abcdef");
  EXPECT_EQ(read_some(*a), "cdef");
  EXPECT_EQ(read_some(*a), "");
}

}  // namespace
