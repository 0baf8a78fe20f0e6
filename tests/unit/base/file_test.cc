#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/unique_fd.h"

using namespace berth;

namespace {

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/berth-file-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const auto& name : entries()) ::unlink((dir_ + "/" + name).c_str());
    ::rmdir(dir_.c_str());
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir_.c_str());
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    return out;
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

}  // namespace

TEST_F(TempDir, WriteAtomicThenRead) {
  ASSERT_TRUE(write_file_atomic(path("state.json"), R"({"a":1})"));
  auto r = read_file(path("state.json"));
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*r, R"({"a":1})");
  EXPECT_EQ(entries(), std::vector<std::string>{"state.json"});  // no temp file left
}

TEST_F(TempDir, WriteAtomicReplacesAndLeavesNoTempFile) {
  ASSERT_TRUE(write_file_atomic(path("f"), "old content that is longer"));
  ASSERT_TRUE(write_file_atomic(path("f"), "new", 0644, /*durable=*/false));
  EXPECT_EQ(read_file(path("f")).value(), "new");
  EXPECT_EQ(entries(), std::vector<std::string>{"f"});
}

// Two threads of one process replacing one file (two builds creating one cache mount's id)
// must each succeed: they may not share a temporary name.
TEST_F(TempDir, WriteAtomicFromManyThreadsAtOnceAllSucceed) {
  constexpr int kThreads = 8, kRounds = 200;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i)
        if (!write_file_atomic(path("shared"), "value-" + std::to_string(t), 0600, /*durable=*/false)) ++failures[t];
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_EQ(read_file(path("shared")).value().rfind("value-", 0), 0u);
  EXPECT_EQ(entries(), std::vector<std::string>{"shared"});
}

TEST_F(TempDir, WriteAtomicAppliesTheMode) {
  ::umask(022);
  ASSERT_TRUE(write_file_atomic(path("secret"), "x", 0600));
  struct stat st {};
  ASSERT_EQ(::stat(path("secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(TempDir, WriteAtomicHandlesLargeData) {
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  ASSERT_TRUE(write_file_atomic(path("big"), big));
  EXPECT_EQ(read_file(path("big")).value(), big);
}

TEST_F(TempDir, WriteAtomicIntoMissingDirectoryNamesThePath) {
  std::string target = path("missing/state.json");
  auto r = write_file_atomic(target, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::NotFound);
  EXPECT_EQ(r.error().sys_errno, ENOENT);
  EXPECT_NE(r.error().message.find(target), std::string::npos) << r.error().message;
  EXPECT_TRUE(entries().empty());
}

TEST_F(TempDir, WriteAtomicOverADirectoryFailsAndKeepsItAndCleansUp) {
  ASSERT_EQ(::mkdir(path("d").c_str(), 0755), 0);
  auto r = write_file_atomic(path("d"), "x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(path("d")), std::string::npos) << r.error().message;
  // The rename failed: the temp file must not be left behind.
  EXPECT_EQ(entries(), std::vector<std::string>{"d"});
  ::rmdir(path("d").c_str());
}

TEST_F(TempDir, ReadFileErrorNamesThePath) {
  std::string missing = path("nope.json");
  auto r = read_file(missing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::NotFound);
  EXPECT_EQ(r.error().sys_errno, ENOENT);
  EXPECT_NE(r.error().message.find(missing), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().str().find(missing), std::string::npos);
}

TEST_F(TempDir, ReadFileOfADirectoryFailsNamingThePath) {
  auto r = read_file(dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, EISDIR);
  EXPECT_NE(r.error().message.find(dir_), std::string::npos) << r.error().message;
}

TEST_F(TempDir, ReadEmptyFile) {
  ASSERT_TRUE(write_file_atomic(path("empty"), ""));
  auto r = read_file(path("empty"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
}

TEST_F(TempDir, ReadFileAtIsRelativeToTheDirectory) {
  ASSERT_TRUE(write_file_atomic(path("config.json"), "{}"));
  UniqueFd dfd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dfd);
  auto r = read_file_at(dfd.get(), "config.json");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(*r, "{}");
  auto missing = read_file_at(dfd.get(), "other.json");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("other.json"), std::string::npos);
}

TEST_F(TempDir, WriteExistingDoesNotCreate) {
  auto r = write_existing(path("cgroup.procs"), "1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::NotFound);
  EXPECT_NE(r.error().message.find(path("cgroup.procs")), std::string::npos);
  EXPECT_TRUE(entries().empty());
}

TEST_F(TempDir, WriteExistingOverwritesFromTheStart) {
  ASSERT_TRUE(write_file_atomic(path("memory.max"), "max"));
  ASSERT_TRUE(write_existing(path("memory.max"), "1024"));
  EXPECT_EQ(read_file(path("memory.max")).value(), "1024");
  UniqueFd dfd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(write_existing_at(dfd.get(), "memory.max", "2048"));
  EXPECT_EQ(read_file(path("memory.max")).value(), "2048");
}

TEST(File, WriteAtomicRelativePath) {
  // A bare file name (no '/') syncs the current directory; must still work.
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  char tmpl[] = "/tmp/berth-file-rel-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  ASSERT_EQ(::chdir(tmpl), 0);
  auto r = write_file_atomic("rel.txt", "x");
  EXPECT_TRUE(r) << (r ? "" : r.error().str());
  EXPECT_EQ(read_file("rel.txt").value_or(""), "x");
  ::unlink("rel.txt");
  ASSERT_EQ(::chdir(cwd), 0);
  ::rmdir(tmpl);
}
