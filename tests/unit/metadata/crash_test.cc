// kill -9 of a process writing in a loop leaves a database that opens, passes
// integrity_check and keeps the store's invariants.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "metadata/image_store.h"
#include "temp_db.h"

using namespace berth;
using namespace berth::metadata;
using namespace berth::metadata::testing;

namespace {

using Crash = TempDb;

constexpr int kLayers = 3;

// Child: add image i with two tags, and delete image i-2, forever; one byte
// on `fd` after each committed change so the parent knows it is mid-stream.
[[noreturn]] void writer(const std::string& path, int fd) {
  auto s = ImageStore::open(path);
  if (!s) _exit(2);
  for (unsigned i = 1;; ++i) {
    std::string a = "docker.io/library/img" + std::to_string(i) + ":latest";
    std::string b = "localhost:5000/img" + std::to_string(i) + ":v1";
    if (!s->add_image(image(i, kLayers), {a, b})) _exit(3);
    if (i > 2 && !s->remove_id(id(i - 2), true)) _exit(4);
    char c = 1;
    if (::write(fd, &c, 1) != 1) _exit(5);
  }
}

void check_invariants(const std::string& path) {
  auto s = ImageStore::open(path);
  ASSERT_TRUE(s) << s.error().str();
  auto ic = s->db().prepare("PRAGMA integrity_check");
  ASSERT_TRUE(ic && *ic->step());
  EXPECT_EQ(ic->text(0), "ok");
  auto fk = s->db().prepare("PRAGMA foreign_key_check");
  ASSERT_TRUE(fk);
  EXPECT_FALSE(*fk->step()) << "dangling reference in table " << fk->text(0);
  auto list = s->list();
  ASSERT_TRUE(list) << list.error().str();
  EXPECT_GE(list->size(), 1u);
  for (const auto& e : *list) {
    // All or nothing: every image has all its layers, its two tags and its content row.
    EXPECT_EQ(e.image.layers.size(), static_cast<size_t>(kLayers)) << e.image.id;
    EXPECT_EQ(e.refs.size(), 2u) << e.image.id;
    EXPECT_EQ(e.image.content.size(), 1u) << e.image.id;
  }
  EXPECT_LE(list->size(), 3u);  // two after each loop turn, three between its two commits
  // The store is writable again.
  EXPECT_TRUE(s->add_image(image(999999, 1), {"docker.io/library/after:latest"}));
}

TEST_F(Crash, KillNineWhileWriting) {
  for (int round = 0; round < 5; ++round) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(p[0]);
      writer(path_, p[1]);
    }
    ::close(p[1]);
    // Let it commit a varying number of changes, then kill it wherever it is.
    int want = 5 + round * 7;
    char buf;
    for (int got = 0; got < want;) {
      ssize_t n = ::read(p[0], &buf, 1);
      ASSERT_EQ(n, 1) << "writer exited early";
      ++got;
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(p[0]);
    EXPECT_TRUE(WIFSIGNALED(status)) << "status " << status;
    check_invariants(path_);
    // Start the next round from a clean file so image numbers do not collide.
    std::filesystem::remove(path_);
    std::filesystem::remove(path_ + "-wal");
    std::filesystem::remove(path_ + "-shm");
  }
}

}  // namespace
