// berthd's pool of pre-booted microVMs (--vm-pool N, docs/vm.md "The pool").
// N keepers (runner.h, berth-vm-runner --pool-vm) each hold a booted VM of
// the default size whose agent answered Hello. A `berth-vm` start whose VM
// would have that size claims one: its runner adopts the VM over the
// keeper's socket instead of booting one (the cold path stays for any other
// size and when the pool is empty). Claiming wakes the filler thread, which
// boots the next one off the start path.
//
// Each idle VM is a connection to its keeper (berthd's end): the keeper
// ends its VM when that closes before a runner adopted it, so idle VMs die
// with berthd (stopped or killed) and the pool's destructor waits for them.
// A keeper that dies idle closes it too: the filler thread, which polls the
// idle connections (no timeout, no sleeps), drops it and boots another.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::vm {

// What a VM is booted with; a container fits a pooled VM when its own would be the same.
struct VmShape {
  uint64_t memory_mib = 0;
  unsigned vcpus = 0;
  bool operator==(const VmShape&) const = default;
};

// The shape a container's VM gets (from its OCI config: --memory, --cpus),
// or nullopt when the config cannot run in a VM at all (vm_refusal, no root).
std::optional<VmShape> shape_for(const nlohmann::json& config, uint64_t default_mib, unsigned host_cpus);

struct PooledVm {
  std::string dir;     // the keeper's state dir
  std::string socket;  // the keeper's adopt socket (berth-vm-runner --adopt)
  pid_t pid = 0;       // the keeper's
  UniqueFd conn;       // berthd's end: closing it unclaimed ends the VM
};

// Boots one pooled VM and returns once it is ready (a seam for the tests).
class PoolLauncher {
 public:
  virtual ~PoolLauncher() = default;
  virtual Result<PooledVm> launch() = 0;
  // A VM found dead while idle: what its keeper could not clean (it was killed).
  virtual void discard(const PooledVm& vm) {}
};

class VmPool {
 public:
  VmPool(size_t size, VmShape shape, std::unique_ptr<PoolLauncher> launcher);
  // Stops filling, lets every idle VM go and waits (bounded) for each keeper
  // to have ended its VM.
  ~VmPool();
  VmPool(const VmPool&) = delete;
  VmPool& operator=(const VmPool&) = delete;

  // A booted VM when `wanted` is the pool's shape and one is idle and alive
  // (dead ones are dropped on the way); the next one boots in the background.
  // The caller keeps `conn` open until the runner adopted the VM (or failed).
  std::optional<PooledVm> claim(const VmShape& wanted);

  const VmShape& shape() const { return shape_; }
  size_t size() const { return size_; }
  // For tests and info: idle VMs now; true once `n` are idle, false after `limit`.
  size_t idle();
  bool wait_idle(size_t n, std::chrono::milliseconds limit);

 private:
  void fill();
  void wake();
  bool alive(const PooledVm& vm);

  const size_t size_;
  const VmShape shape_;
  std::unique_ptr<PoolLauncher> launcher_;
  std::mutex mu_;
  std::condition_variable cv_;  // idle_ changed (wait_idle)
  std::deque<PooledVm> idle_;
  bool stopping_ = false;
  bool retry_ = true;  // false after a failed boot, until the next claim
  uint64_t claims_ = 0;
  UniqueFd wake_;      // eventfd: the filler's poll wakes on it
  std::thread filler_;
};

// The real launcher: berth-vm-runner --pool-vm in DIR/<n> (n unique per
// berthd), with the image and accelerator berth-vm containers get.
struct KeeperLauncherConfig {
  std::string runner;  // berth-vm-runner
  std::string pool_root;
  std::vector<std::string> vm_args;  // --kernel ... --initrd ... --accel ... --memory-mib ...
};
std::unique_ptr<PoolLauncher> keeper_launcher(KeeperLauncherConfig config);

// At berthd's start: removes what keepers killed without a chance to clean
// left in pool_root (their lock is free), detaching their mounts first.
void sweep_pool_root(const std::string& pool_root);
// The same for one keeper's dir (nothing when its keeper still holds the lock).
void sweep_pool_dir(const std::string& dir);

}  // namespace berth::vm
