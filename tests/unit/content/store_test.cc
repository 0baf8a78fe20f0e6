#include "content/store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <future>
#include <thread>

#include "base/file.h"
#include "temp_dir.h"

using namespace berth;
using namespace berth::content;
using berth::content::testing::pattern;
using StoreTest = berth::content::testing::StoreDirTest;

namespace {

TEST_F(StoreTest, OpenCreatesLayout) {
  auto s = Store::open(root_);
  ASSERT_TRUE(s) << s.error().str();
  struct stat st;
  EXPECT_EQ(::stat((root_ + "/blobs/sha256").c_str(), &st), 0);
  EXPECT_EQ(::stat((root_ + "/ingest").c_str(), &st), 0);
  EXPECT_EQ(s->root(), root_);
}

TEST_F(StoreTest, WriteCommitReadRoundTrip) {
  auto s = *Store::open(root_);
  std::string data = pattern((5 << 20) + 17, 1);
  Digest d = sha256(data);
  auto w = s.writer(d, data.size());
  ASSERT_TRUE(w) << w.error().str();
  for (size_t off = 0; off < data.size(); off += 65536)
    ASSERT_TRUE(w->write(std::string_view(data).substr(off, 65536)));
  // Not visible before commit.
  EXPECT_FALSE(s.exists(d));
  EXPECT_EQ(s.open_blob(d).error().code, Errc::NotFound);
  EXPECT_EQ(entries("ingest").size(), 1u);
  auto c = w->commit();
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ(*c, d);

  EXPECT_TRUE(s.exists(d));
  auto info = s.info(d);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(*s.read(d), data);
  auto fd = s.open_blob(d);
  ASSERT_TRUE(fd);
  EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(*read_file_at(fd->get(), "/proc/self/fd/" + std::to_string(fd->get())), data);
  EXPECT_TRUE(s.verify(d));
  struct stat st;
  ASSERT_EQ(::stat((root_ + "/blobs/sha256/" + d.hex()).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_TRUE(entries("ingest").empty());
}

TEST_F(StoreTest, ConveniencesAndUnknownDigest) {
  auto s = *Store::open(root_);
  auto d = s.write("hello");
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(*d, sha256("hello"));
  EXPECT_EQ(*s.read(*d), "hello");
  auto d2 = s.write(sha256("abc"), "abc");
  ASSERT_TRUE(d2);
  EXPECT_EQ(s.info(*d2)->size, 3u);

  std::string src = dir_ + "/src";
  std::string data = pattern(3 << 20, 2);
  ASSERT_TRUE(write_file_atomic(src, data));
  int fd = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto d3 = s.write_from_fd(sha256(data), fd, data.size());
  ::close(fd);
  ASSERT_TRUE(d3) << d3.error().str();
  EXPECT_EQ(*s.read(*d3), data);
  EXPECT_TRUE(entries("ingest").empty());
}

TEST_F(StoreTest, WrongDigestRejectedLeavingNothing) {
  auto s = *Store::open(root_);
  Digest expected = sha256("expected");
  auto r = s.write(expected, "something else");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find(expected.str()), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(sha256("something else").str()), std::string::npos);
  EXPECT_FALSE(s.exists(expected));
  EXPECT_FALSE(s.exists(sha256("something else")));
  EXPECT_TRUE(entries("ingest").empty());
  EXPECT_TRUE(entries("blobs/sha256").empty());
}

TEST_F(StoreTest, WrongSizeRejectedLeavingNothing) {
  auto s = *Store::open(root_);
  Digest d = sha256("12345");
  {  // too short: found at commit
    auto w = *s.writer(d, 6);
    ASSERT_TRUE(w.write("12345"));
    auto c = w.commit();
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::InvalidArgument);
    EXPECT_NE(c.error().message.find("expected 6 bytes, got 5"), std::string::npos)
        << c.error().message;
  }
  {  // too long: found at the write that overflows
    auto w = *s.writer(d, 4);
    auto r = w.write("12345");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_FALSE(w.commit());
  }
  EXPECT_FALSE(s.exists(d));
  EXPECT_TRUE(entries("ingest").empty());
  EXPECT_TRUE(entries("blobs/sha256").empty());
}

TEST_F(StoreTest, ExistingBlobIsIdempotent) {
  auto s = *Store::open(root_);
  Digest d = sha256("same");
  ASSERT_TRUE(s.write(d, "same"));
  auto again = s.write(d, "same");
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ(*again, d);
  EXPECT_EQ(entries("blobs/sha256").size(), 1u);
  EXPECT_TRUE(entries("ingest").empty());
  EXPECT_EQ(*s.read(d), "same");
}

TEST_F(StoreTest, DroppedWriterLeavesNothing) {
  auto s = *Store::open(root_);
  {
    auto w = *s.writer(sha256("x"));
    ASSERT_TRUE(w.write("x"));
    EXPECT_EQ(entries("ingest").size(), 1u);
  }
  EXPECT_TRUE(entries("ingest").empty());
  EXPECT_FALSE(s.exists(sha256("x")));
}

TEST_F(StoreTest, RemoveAndList) {
  auto s = *Store::open(root_);
  std::vector<Digest> want;
  for (int i = 0; i < 5; ++i) want.push_back(*s.write(pattern(100 + i, i)));
  auto all = s.list();
  ASSERT_TRUE(all) << all.error().str();
  std::vector<Digest> got;
  for (auto& b : *all) {
    got.push_back(b.digest);
    EXPECT_EQ(b.size, s.info(b.digest)->size);
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);

  ASSERT_TRUE(s.remove(want[0]));
  EXPECT_FALSE(s.exists(want[0]));
  EXPECT_EQ(s.remove(want[0]).error().code, Errc::NotFound);
  EXPECT_EQ(s.info(want[0]).error().code, Errc::NotFound);
  EXPECT_EQ(s.list()->size(), 4u);
}

TEST_F(StoreTest, ListIgnoresStrayEntries) {
  auto s = *Store::open(root_);
  auto d = *s.write("a");
  ASSERT_TRUE(write_file_atomic(root_ + "/blobs/sha256/not-a-digest", "x"));
  auto all = s.list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].digest, d);
}

TEST_F(StoreTest, VerifyDetectsCorruption) {
  auto s = *Store::open(root_);
  auto d = *s.write("intact");
  std::string path = root_ + "/blobs/sha256/" + d.hex();
  ::chmod(path.c_str(), 0644);
  ASSERT_TRUE(write_existing(path, "broken"));
  auto v = s.verify(d);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::InvalidArgument);
}

// kill -9 at arbitrary points: afterwards the blob is either absent or complete
// and verified, and the leftover temp is swept on the next open.
TEST_F(StoreTest, KillNineLeavesNoPartialBlob) {
  ASSERT_TRUE(Store::open(root_));
  std::string data = pattern(8 << 20, 3);
  Digest d = sha256(data);
  int saw_blob = 0;
  for (int round = 0; round < 12; ++round) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = Store::open(root_);
      if (!s) _exit(2);
      auto w = s->writer(d, data.size());
      if (!w) _exit(3);
      for (size_t off = 0; off < data.size(); off += 256 << 10)
        if (!w->write(std::string_view(data).substr(off, 256 << 10))) _exit(4);
      _exit(w->commit() ? 0 : 5);
    }
    ::usleep(static_cast<useconds_t>(round * 3000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status)) ASSERT_EQ(WEXITSTATUS(status), 0);
    auto s = *Store::open(root_, {.stale_temp_age = std::chrono::seconds(0)});
    EXPECT_TRUE(entries("ingest").empty()) << "round " << round;
    if (s.exists(d)) {
      ++saw_blob;
      ASSERT_TRUE(s.verify(d)) << "round " << round;
      ASSERT_TRUE(s.remove(d));
    }
  }
  RecordProperty("rounds_with_blob", saw_blob);
}

TEST_F(StoreTest, WriterAfterCloseFails) {
  auto s = *Store::open(root_);
  auto w = *s.writer(sha256("z"));
  ASSERT_TRUE(w.write("z"));
  ASSERT_TRUE(w.commit());
  EXPECT_FALSE(w.write("z"));
  EXPECT_FALSE(w.commit());
}

}  // namespace

namespace berth::content {
namespace {

class ResumableIngest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-ingest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(ResumableIngest, ADroppedWriterIsContinuedAndItsBytesCount) {
  auto store = Store::open(root_).value();
  std::string blob(300000, 'x');
  for (size_t i = 0; i < blob.size(); i += 7) blob[i] = static_cast<char>('a' + i % 26);
  Digest d = sha256(blob);
  {
    auto w = store.resumable_writer(d, blob.size()).value();
    EXPECT_EQ(w.written(), 0u);
    ASSERT_TRUE(w.write(std::string_view(blob).substr(0, 120000)));
  }  // dropped mid-way: a connection lost, a process killed
  EXPECT_FALSE(store.exists(d));
  auto w = store.resumable_writer(d, blob.size()).value();
  EXPECT_EQ(w.written(), 120000u);
  ASSERT_TRUE(w.write(std::string_view(blob).substr(120000)));
  auto committed = w.commit();
  ASSERT_TRUE(committed) << committed.error().str();
  EXPECT_EQ(*committed, d);
  EXPECT_EQ(store.read(d).value(), blob);
  // The blob is there: no ingest for it any more.
  auto again = store.resumable_writer(d, blob.size());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::AlreadyExists);
  EXPECT_TRUE(std::filesystem::is_empty(root_ + "/ingest"));
}

TEST_F(ResumableIngest, WrongBytesLeftBehindAreNotTrusted) {
  auto store = Store::open(root_).value();
  std::string blob = "the real content of the blob";
  Digest d = sha256(blob);
  {
    auto w = store.resumable_writer(d, blob.size()).value();
    ASSERT_TRUE(w.write("THE WRONG"));  // bytes that do not match the blob
  }
  auto w = store.resumable_writer(d, blob.size()).value();
  ASSERT_EQ(w.written(), 9u);
  ASSERT_TRUE(w.write(std::string_view(blob).substr(9)));
  auto committed = w.commit();
  ASSERT_FALSE(committed);
  EXPECT_NE(committed.error().message.find("digest mismatch"), std::string::npos) << committed.error().str();
  // Discarded: the next pull starts from zero and gets it right.
  auto fresh = store.resumable_writer(d, blob.size()).value();
  EXPECT_EQ(fresh.written(), 0u);
  ASSERT_TRUE(fresh.write(blob));
  ASSERT_TRUE(fresh.commit());
  EXPECT_EQ(store.read(d).value(), blob);
}

TEST_F(ResumableIngest, MoreThanTheBlobHasStartsAgain) {
  auto store = Store::open(root_).value();
  std::string blob = "short";
  Digest d = sha256(blob);
  {
    auto w = store.resumable_writer(d).value();  // size unknown: anything goes in
    ASSERT_TRUE(w.write("much longer than the blob"));
  }
  auto w = store.resumable_writer(d, blob.size()).value();
  EXPECT_EQ(w.written(), 0u);
}

TEST_F(ResumableIngest, TwoWritersOfTheSameBlobMakeOneBlob) {
  auto store = Store::open(root_).value();
  std::string blob = "shared layer";
  Digest d = sha256(blob);
  auto first = store.resumable_writer(d, blob.size()).value();
  std::promise<Result<Writer>> second;
  std::thread t([&] { second.set_value(store.resumable_writer(d, blob.size())); });
  auto fut = second.get_future();
  ASSERT_TRUE(first.write(blob));
  ASSERT_TRUE(first.commit());  // the waiter wakes to a committed blob
  t.join();
  auto r = fut.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::AlreadyExists);
}

TEST_F(ResumableIngest, AnIdleLeftIngestExpires) {
  auto store = Store::open(root_).value();
  Digest d = sha256("x");
  {
    auto w = store.resumable_writer(d, 1).value();
  }
  auto young = store.clean_ingest(std::chrono::hours(1)).value();
  EXPECT_TRUE(young.removed_temps.empty()) << "a fresh ingest is kept (its lease)";
  auto old = store.clean_ingest(std::chrono::seconds(0)).value();
  EXPECT_EQ(old.removed_temps, std::vector<std::string>{"ref-sha256-" + d.hex()});
}

}  // namespace
}  // namespace berth::content
