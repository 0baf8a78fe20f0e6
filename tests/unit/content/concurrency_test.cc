// Many writers of the same blob, as threads and as processes with their own
// Store: exactly one correct blob and no leftovers.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "content/store.h"
#include "temp_dir.h"

using namespace berth;
using namespace berth::content;
using berth::content::testing::pattern;
using ConcurrencyTest = berth::content::testing::StoreDirTest;

namespace {

constexpr size_t kChunk = 64 << 10;

// False (with the error on stderr) when the write fails.
bool write_in_chunks(Store& s, const Digest& d, const std::string& data) {
  auto report = [](const Error& e) {
    std::fprintf(stderr, "writer: %s\n", e.str().c_str());
    return false;
  };
  auto w = s.writer(d, data.size());
  if (!w) return report(w.error());
  for (size_t off = 0; off < data.size(); off += kChunk)
    if (auto r = w->write(std::string_view(data).substr(off, kChunk)); !r) return report(r.error());
  auto c = w->commit();
  if (!c) return report(c.error());
  return *c == d;
}

TEST_F(ConcurrencyTest, ThreadsWritingSameBlob) {
  auto s = *Store::open(root_);
  std::string data = pattern(4 << 20, 11);
  Digest d = sha256(data);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (write_in_chunks(s, d, data)) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(entries("blobs/sha256"), std::vector<std::string>{d.hex()});
  EXPECT_TRUE(entries("ingest").empty());
  EXPECT_TRUE(s.verify(d));
  EXPECT_EQ(*s.read(d), data);
}

TEST_F(ConcurrencyTest, ProcessesWritingSameBlob) {
  ASSERT_TRUE(Store::open(root_));
  std::string data = pattern(4 << 20, 12);
  Digest d = sha256(data);
  std::vector<pid_t> pids;
  for (int i = 0; i < 6; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = Store::open(root_);
      _exit(s && write_in_chunks(*s, d, data) ? 0 : 1);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto s = *Store::open(root_);
  EXPECT_EQ(entries("blobs/sha256"), std::vector<std::string>{d.hex()});
  EXPECT_TRUE(entries("ingest").empty());
  EXPECT_TRUE(s.verify(d));
}

TEST_F(ConcurrencyTest, ThreadsWritingDifferentBlobs) {
  auto s = *Store::open(root_);
  std::vector<std::string> datas;
  for (int i = 0; i < 8; ++i) datas.push_back(pattern((1 << 20) + i, 20 + i));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      if (write_in_chunks(s, sha256(datas[i]), datas[i])) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(s.list()->size(), 8u);
  for (auto& data : datas) EXPECT_TRUE(s.verify(sha256(data)));
}

}  // namespace
