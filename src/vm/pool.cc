#include "vm/pool.h"
#include "vm/keeper_spawn.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "base/log.h"
#include "vm/guest_config.h"
#include "vm/machine.h"
#include "vm/pool_share.h"
#include "vm/runner.h"


namespace berth::vm {

std::optional<VmShape> shape_for(const nlohmann::json& config, uint64_t default_mib, unsigned host_cpus) {
  if (!vm_refusal(config).empty()) return std::nullopt;
  auto plan = plan_guest(config, "/nonexistent", [](const std::string&) { return true; });
  if (!plan) return std::nullopt;
  return VmShape{guest_memory_mib(plan->memory_limit, default_mib), guest_vcpus(plan->cpu_quota, plan->cpu_period, host_cpus)};
}

VmPool::VmPool(size_t size, VmShape shape, std::unique_ptr<PoolLauncher> launcher)
    : size_(size), shape_(shape), launcher_(std::move(launcher)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  filler_ = std::thread([this] { fill(); });
}

VmPool::~VmPool() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  wake();
  filler_.join();
  // Each keeper ends its VM when our end closes for writing, and its end
  // closes when it is done (processes, mounts, dir).
  for (auto& vm : idle_) ::shutdown(vm.conn.get(), SHUT_WR);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (auto& vm : idle_) {
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        log::warn("the pooled VM of keeper {} did not end within 20 s of berthd's stop", vm.pid);
        break;
      }
      pollfd p{vm.conn.get(), POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(left));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) continue;
      char buf[256];
      if (::read(vm.conn.get(), buf, sizeof buf) <= 0) break;
    }
  }
  idle_.clear();
}

void VmPool::wake() {
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
}

bool VmPool::alive(const PooledVm& vm) {
  pollfd p{vm.conn.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;  // a keeper writes nothing after its ready line: anything is its end
}

std::optional<PooledVm> VmPool::claim(const VmShape& wanted) {
  if (wanted != shape_) return std::nullopt;
  std::optional<PooledVm> out;
  std::vector<PooledVm> dead;
  {
    std::lock_guard lk(mu_);
    while (!idle_.empty() && !out) {
      PooledVm vm = std::move(idle_.front());
      idle_.pop_front();
      if (alive(vm)) out = std::move(vm);
      else dead.push_back(std::move(vm));
    }
    retry_ = true;
    ++claims_;
    cv_.notify_all();
  }
  wake();
  for (const auto& vm : dead) {
    log::warn("a pooled VM (keeper {}) ended while idle: dropped", vm.pid);
    launcher_->discard(vm);
  }
  return out;
}

size_t VmPool::idle() {
  std::lock_guard lk(mu_);
  return idle_.size();
}

bool VmPool::wait_idle(size_t n, std::chrono::milliseconds limit) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, limit, [&] { return idle_.size() >= n; });
}

void VmPool::fill() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    if (idle_.size() < size_ && retry_) {
      uint64_t claims_before = claims_;
      lk.unlock();
      auto vm = launcher_->launch();
      lk.lock();
      if (!vm) {
        // Not in a loop: the next claim tries again (or one that came meanwhile).
        log::warn("booting a pooled VM failed: {}", vm.error().str());
        if (claims_ == claims_before) retry_ = false;
        continue;
      }
      idle_.push_back(std::move(*vm));  // when stopping, the destructor ends it
      cv_.notify_all();
      continue;
    }
    // Full (or waiting for a claim after a failure): sleep until a claim or
    // an idle VM's end.
    std::vector<pollfd> p = {{wake_.get(), POLLIN, 0}};
    for (const auto& vm : idle_) p.push_back({vm.conn.get(), POLLIN, 0});
    lk.unlock();
    int n = ::poll(p.data(), p.size(), -1);
    lk.lock();
    if (n <= 0) continue;
    if (p[0].revents) {
      uint64_t v;
      (void)!::read(wake_.get(), &v, sizeof v);
    }
    std::vector<PooledVm> dead;
    for (size_t i = 1; i < p.size(); ++i) {
      if (!p[i].revents) continue;
      for (auto it = idle_.begin(); it != idle_.end(); ++it)
        if (it->conn.get() == p[i].fd && !alive(*it)) {
          dead.push_back(std::move(*it));
          idle_.erase(it);
          cv_.notify_all();
          break;
        }
    }
    if (dead.empty()) continue;
    lk.unlock();
    for (const auto& vm : dead) {
      log::warn("a pooled VM (keeper {}) ended while idle: dropped", vm.pid);
      launcher_->discard(vm);
    }
    lk.lock();
  }
}

namespace {

class KeeperLauncher final : public PoolLauncher {
 public:
  explicit KeeperLauncher(KeeperLauncherConfig c) : c_(std::move(c)) {}

  void discard(const PooledVm& vm) override { sweep_pool_dir(vm.dir); }

  Result<PooledVm> launch() override {
    ::mkdir(c_.pool_root.c_str(), 0700);
    std::string id = std::to_string(::getpid()) + "-" + std::to_string(++counter_);
    std::string dir = c_.pool_root + "/" + id;
    if (::mkdir(dir.c_str(), 0700) != 0) return fail_errno("creating " + dir);
    auto r = spawn_and_wait(id, dir);
    if (!r) remove_dir_same_fs(dir);  // the keeper cleans what it made; this is the rest
    return r;
  }

 private:
  Result<PooledVm> spawn_and_wait(const std::string& id, const std::string& dir) {
    std::vector<std::string> args = {c_.runner, "--id", "pool-" + id, "--state-dir", dir, "--pool-vm", "--pool-fd", "3"};
    args.insert(args.end(), c_.vm_args.begin(), c_.vm_args.end());
    auto ready = TRY(spawn_keeper(std::move(args), "the pooled VM in " + dir));
    PooledVm vm;
    vm.dir = dir;
    vm.socket = std::move(ready.socket);
    vm.pid = ready.pid;
    vm.conn = std::move(ready.conn);
    return vm;
  }

  KeeperLauncherConfig c_;
  std::atomic<unsigned> counter_{0};
};

}  // namespace

std::unique_ptr<PoolLauncher> keeper_launcher(KeeperLauncherConfig config) {
  return std::make_unique<KeeperLauncher>(std::move(config));
}

void sweep_pool_dir(const std::string& dir) {
  if (dir.empty()) return;
  struct stat st{};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  UniqueFd lock(::open((dir + "/" + kPoolLockFile).c_str(), O_RDONLY | O_CLOEXEC));
  if (lock && ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) return;  // a keeper holds it: alive
  log::info("removing a pooled VM's leftovers in {}", dir);
  detach_tree(dir + "/" + kPoolShareDir);
  remove_dir_same_fs(dir);
}

void sweep_pool_root(const std::string& pool_root) {
  DIR* d = ::opendir(pool_root.c_str());
  if (!d) return;
  std::vector<std::string> entries;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") entries.push_back(pool_root + "/" + name);
  }
  ::closedir(d);
  for (const auto& dir : entries) sweep_pool_dir(dir);
}

}  // namespace berth::vm
