// kill -9 at arbitrary points: the reopened store names only complete
// directories, and directories it does not name are gone.
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "base/strings.h"
#include "fixture.h"

using namespace berth;
using namespace berth::snapshot;
using namespace berth::testing;

namespace {

class Crash : public TempRoot {};

[[noreturn]] void churn(const std::string& root) {
  auto s = NativeSnapshotter::open(root);
  if (!s) ::_exit(2);
  std::string parent;
  for (int i = 0;; ++i) {
    std::string k = "k" + std::to_string(i);
    if (!(*s)->prepare(k, parent)) ::_exit(3);
    (void)write_text(writable_dir(*(*s)->mounts(k)) + "/f" + std::to_string(i), "x");
    if (!(*s)->commit("c" + std::to_string(i), k)) ::_exit(4);
    if (i % 3 == 2) (void)(*s)->remove("c" + std::to_string(i));  // leaf: removable
    else parent = "c" + std::to_string(i);
  }
}

TEST_F(Crash, KillAtRandomPointsLeavesConsistentState) {
  std::string root = dir_ + "/state";
  size_t created = 0;
  for (int round = 0; round < 8; ++round) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) churn(root);
    ::usleep(20000 + round * 7919);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "churn exited early with " << WEXITSTATUS(status);

    auto s = NativeSnapshotter::open(root);
    ASSERT_TRUE(s) << "round " << round << ": " << s.error().str();
    std::set<std::string> ids;
    auto all = (*s)->list();
    ASSERT_TRUE(all);
    created += all->size();
    for (const auto& info : *all) {
      ids.insert(std::to_string(info.id));
      struct stat st;
      EXPECT_EQ(::stat(((*s)->dir_of(info.id) + "/fs").c_str(), &st), 0) << info.key;
      if (!info.parent.empty()) {
        EXPECT_TRUE((*s)->stat(info.parent)) << info.key;
      }
    }
    DIR* d = ::opendir((*s)->snapshots_dir().c_str());
    ASSERT_NE(d, nullptr);
    while (auto* e = ::readdir(d)) {
      if (parse_uint(e->d_name)) {
        EXPECT_TRUE(ids.contains(e->d_name)) << "orphan " << e->d_name;
      }
    }
    ::closedir(d);
    // Start the next round from scratch so the chain stays short.
    for (bool progress = true; progress;) {
      progress = false;
      auto left = (*s)->list();
      ASSERT_TRUE(left);
      for (const auto& info : *left) progress |= (*s)->remove(info.key).has_value();
    }
    ASSERT_TRUE((*s)->list()->empty());
  }
  EXPECT_GT(created, 8u) << "the child was killed before it did anything";
}

}  // namespace
