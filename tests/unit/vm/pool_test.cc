#include "vm/pool.h"

#include "vm/machine.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace berth::vm {
namespace {

using namespace std::chrono_literals;

// A keeper stand-in per VM: a socketpair whose far end a thread holds until
// the pool lets go (EOF), or until the test "kills" it.
class FakeLauncher final : public PoolLauncher {
 public:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    int launches = 0;
    int fail_next = 0;
    std::vector<int> keeper_ends;  // by launch number - 1 (-1 once closed)
    int released = 0;              // keepers that saw the pool's end close
    std::vector<std::string> discarded;
  };
  explicit FakeLauncher(std::shared_ptr<State> s) : s_(std::move(s)) {}

  void discard(const PooledVm& vm) override {
    std::lock_guard lk(s_->mu);
    s_->discarded.push_back(vm.socket);
    s_->cv.notify_all();
  }

  Result<PooledVm> launch() override {
    std::lock_guard lk(s_->mu);
    int n = ++s_->launches;
    s_->cv.notify_all();
    if (s_->fail_next > 0) {
      --s_->fail_next;
      s_->keeper_ends.push_back(-1);
      return fail(Errc::Internal, "the fake VM did not boot");
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("socketpair");
    s_->keeper_ends.push_back(sv[1]);
    // Detached: a claimed VM's keeper outlives the pool (and its launcher).
    std::thread([s = s_, fd = sv[1], idx = n - 1] {
      char buf[16];
      ssize_t r = ::read(fd, buf, sizeof buf);  // EOF: the pool let it go; error: the test closed it
      std::lock_guard lk(s->mu);
      if (r == 0 && s->keeper_ends[idx] == fd) {
        ++s->released;
        ::close(fd);
        s->keeper_ends[idx] = -1;
      }
      s->cv.notify_all();
    }).detach();
    PooledVm vm;
    vm.socket = "vm-" + std::to_string(n);
    vm.pid = 1000 + n;
    vm.conn = UniqueFd(sv[0]);
    return vm;
  }

 private:
  std::shared_ptr<State> s_;
};

// The keeper of launch n dies: its end closes (its watcher sees the shutdown).
void kill_keeper(FakeLauncher::State& s, int n) {
  std::lock_guard lk(s.mu);
  int fd = s.keeper_ends.at(static_cast<size_t>(n - 1));
  s.keeper_ends[static_cast<size_t>(n - 1)] = -1;
  ::shutdown(fd, SHUT_RDWR);  // wakes its watcher thread
  ::close(fd);
}

bool wait_launches(FakeLauncher::State& s, int n) {
  std::unique_lock lk(s.mu);
  return s.cv.wait_for(lk, 5s, [&] { return s.launches >= n; });
}

const VmShape kShape{128, 1};

struct PoolFixture : ::testing::Test {
  std::shared_ptr<FakeLauncher::State> state = std::make_shared<FakeLauncher::State>();
  std::unique_ptr<VmPool> make(size_t n) { return std::make_unique<VmPool>(n, kShape, std::make_unique<FakeLauncher>(state)); }
};

TEST_F(PoolFixture, FillsToItsSizeAndRefillsAfterAClaim) {
  auto pool = make(2);
  ASSERT_TRUE(pool->wait_idle(2, 5s));
  auto vm = pool->claim(kShape);
  ASSERT_TRUE(vm);
  EXPECT_EQ(vm->socket, "vm-1");  // oldest first
  ASSERT_TRUE(pool->wait_idle(2, 5s));
  EXPECT_EQ(state->launches, 3);
  auto next = pool->claim(kShape);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->socket, "vm-2");
}

TEST_F(PoolFixture, AnotherShapeGoesColdAndLeavesThePoolAlone) {
  auto pool = make(1);
  ASSERT_TRUE(pool->wait_idle(1, 5s));
  EXPECT_FALSE(pool->claim(VmShape{256, 1}));
  EXPECT_FALSE(pool->claim(VmShape{128, 2}));
  EXPECT_EQ(pool->idle(), 1u);
  EXPECT_EQ(state->launches, 1);
}

TEST_F(PoolFixture, AnEmptyPoolGoesCold) {
  state->fail_next = 1;
  auto pool = make(1);
  ASSERT_TRUE(wait_launches(*state, 1));
  EXPECT_FALSE(pool->claim(kShape));  // nothing idle: cold; and it tries again
  ASSERT_TRUE(pool->wait_idle(1, 5s));
  EXPECT_EQ(state->launches, 2);
}

TEST_F(PoolFixture, AFailedBootIsNotRetriedInALoop) {
  state->fail_next = 1;
  auto pool = make(1);
  ASSERT_TRUE(wait_launches(*state, 1));
  // No claim: no second attempt (bounded look).
  EXPECT_FALSE(pool->wait_idle(1, 300ms));
  EXPECT_EQ(state->launches, 1);
}

TEST_F(PoolFixture, ADeadIdleVmIsDroppedAndReplaced) {
  auto pool = make(1);
  ASSERT_TRUE(pool->wait_idle(1, 5s));
  kill_keeper(*state, 1);
  ASSERT_TRUE(wait_launches(*state, 2));  // noticed without a claim
  ASSERT_TRUE(pool->wait_idle(1, 5s));
  {
    std::unique_lock lk(state->mu);
    ASSERT_TRUE(state->cv.wait_for(lk, 5s, [&] { return !state->discarded.empty(); }));
    EXPECT_EQ(state->discarded, std::vector<std::string>{"vm-1"});  // its leftovers swept
  }
  auto vm = pool->claim(kShape);
  ASSERT_TRUE(vm);
  EXPECT_EQ(vm->socket, "vm-2");
}

TEST_F(PoolFixture, AClaimSkipsADeadVm) {
  auto pool = make(2);
  ASSERT_TRUE(pool->wait_idle(2, 5s));
  kill_keeper(*state, 1);
  auto vm = pool->claim(kShape);  // the filler may or may not have dropped vm-1 yet
  ASSERT_TRUE(vm);
  EXPECT_EQ(vm->socket, "vm-2");
  std::unique_lock lk(state->mu);
  ASSERT_TRUE(state->cv.wait_for(lk, 5s, [&] { return state->discarded.size() == 1; }));
  EXPECT_EQ(state->discarded[0], "vm-1");
}

TEST_F(PoolFixture, StoppingLetsEveryIdleVmGo) {
  auto pool = make(2);
  ASSERT_TRUE(pool->wait_idle(2, 5s));
  auto claimed = pool->claim(kShape);
  ASSERT_TRUE(claimed);
  ASSERT_TRUE(pool->wait_idle(2, 5s));
  pool.reset();
  std::unique_lock lk(state->mu);
  ASSERT_TRUE(state->cv.wait_for(lk, 5s, [&] { return state->released == 2; }));
  // The claimed one is its holder's: still open.
  EXPECT_NE(state->keeper_ends[0], -1);
}

// A keeper's dir is swept only when no keeper holds its lock.
TEST(SweepPoolRoot, RemovesWhatNoKeeperHolds) {
  char tmpl[] = "/tmp/berth-unit-vmpool.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string root = tmpl;
  for (const char* n : {"/alive", "/dead", "/dead/share", "/nolock"}) ASSERT_EQ(::mkdir((root + n).c_str(), 0700), 0);
  for (const char* n : {"/alive/lock", "/dead/lock", "/dead/share/file", "/nolock/vm.log"}) {
    UniqueFd f(::open((root + n).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    ASSERT_TRUE(f);
  }
  // The live keeper's lock, held through another open file description.
  UniqueFd held(::open((root + "/alive/lock").c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_EQ(::flock(held.get(), LOCK_EX | LOCK_NB), 0);
  sweep_pool_root(root);
  struct stat st{};
  EXPECT_EQ(::stat((root + "/alive/lock").c_str(), &st), 0);
  EXPECT_NE(::stat((root + "/dead").c_str(), &st), 0);
  EXPECT_NE(::stat((root + "/nolock").c_str(), &st), 0);
  held.reset();
  sweep_pool_dir(root + "/alive");  // its keeper gone now
  EXPECT_NE(::stat((root + "/alive").c_str(), &st), 0);
  EXPECT_EQ(::rmdir(root.c_str()), 0);
}

nlohmann::json config(const std::string& resources, const std::string& namespaces = R"([{"type":"pid"},{"type":"ipc"},{"type":"network","path":"/n"}])") {
  return nlohmann::json::parse(R"({"process":{"args":["sh"]},"root":{"path":"/r"},"linux":{"namespaces":)" + namespaces +
                               R"(,"resources":)" + resources + "}}");
}

TEST(ShapeFor, DefaultSizeOrTheContainersLimits) {
  EXPECT_EQ(shape_for(config("{}"), 128, 2), (VmShape{128, 1}));
  EXPECT_EQ(shape_for(config(R"({"memory":{"limit":268435456}})"), 128, 2), (VmShape{256, 1}));
  EXPECT_EQ(shape_for(config(R"({"cpu":{"quota":150000,"period":100000}})"), 128, 2), (VmShape{128, 2}));
  EXPECT_EQ(shape_for(config(R"({"memory":{"limit":1048576}})"), 128, 2), (VmShape{kMinGuestMib, 1}));
}

TEST(ShapeFor, NoneForWhatAVmRefuses) {
  EXPECT_FALSE(shape_for(config("{}", R"([{"type":"pid"},{"type":"ipc"}])"), 128, 2));  // --network host
  EXPECT_FALSE(shape_for(nlohmann::json::object(), 128, 2));
}

}  // namespace
}  // namespace berth::vm
