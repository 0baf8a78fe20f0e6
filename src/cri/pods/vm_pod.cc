#include "cri/pods/vm_pod.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/unique_fd.h"
#include "vm/keeper_spawn.h"
#include "vm/pod_keeper.h"
#include "vm/pool_share.h"
#include "vm/runner.h"


namespace berth::cri {

namespace rt = runtime::v1;

VmPodShape vm_pod_shape(const rt::PodSandboxConfig& config, uint64_t default_mib) {
  VmPodShape s;
  s.memory_mib = default_mib;
  const auto& l = config.linux();
  int64_t mem = l.resources().memory_limit_in_bytes();
  if (mem > 0) {
    mem += std::max<int64_t>(l.overhead().memory_limit_in_bytes(), 0);
    s.memory_mib = std::max<uint64_t>(static_cast<uint64_t>(mem) >> 20, 64);
  }
  int64_t quota = l.resources().cpu_quota() + std::max<int64_t>(l.overhead().cpu_quota(), 0);
  int64_t period = l.resources().cpu_period();
  if (l.resources().cpu_quota() > 0 && period > 0)
    s.vcpus = static_cast<unsigned>(std::clamp<int64_t>((quota + period - 1) / period, 1, 256));
  return s;
}

std::string vm_pod_refusal(const rt::PodSandboxConfig& config) {
  const auto& ns = config.linux().security_context().namespace_options();
  if (ns.network() == rt::NODE)
    return "host networking cannot work in a VM pod: the guest has its own kernel and network stack";
  if (ns.pid() == rt::NODE) return "the host's PID namespace cannot work in a VM pod: the host's processes are not in the guest";
  if (ns.ipc() == rt::NODE) return "the host's IPC namespace cannot work in a VM pod: the guest's kernel cannot share it";
  if (ns.pid() == rt::POD)
    return "a PID namespace shared by the pod's containers (shareProcessNamespace) is not supported in a VM pod "
           "yet; namespace_options.pid CONTAINER (the kubelet's default) is";
  if (config.linux().security_context().privileged())
    return "a privileged pod cannot work in a VM pod: privileges in the guest would not reach the host";
  return "";
}

std::string vm_container_refusal(const rt::ContainerConfig& config) {
  const auto& sc = config.linux().security_context();
  if (sc.privileged()) return "a privileged container cannot work in a VM pod: the host's devices and kernel are not in the guest";
  if (!config.devices().empty())
    return "device " + config.devices(0).host_path() +
           " cannot work in a VM pod: passing host devices through needs VFIO, which berth-vm does not do";
  const auto& ns = sc.namespace_options();
  if (ns.network() == rt::NODE || ns.pid() == rt::NODE || ns.ipc() == rt::NODE)
    return "the host's namespaces cannot work in a VM pod";
  if (ns.pid() == rt::TARGET) return "namespace mode TARGET is not supported in a VM pod";
  return "";
}

std::string vm_pod_cgroup(const std::string& cgroup_parent, const std::string& pod_id) {
  std::string parent = cgroup_parent;
  while (!parent.empty() && parent.back() == '/') parent.pop_back();
  if (!parent.empty() && parent[0] != '/') parent.insert(parent.begin(), '/');
  return parent + "/vm-" + pod_id;
}

Result<VmKeeper> start_vm_keeper(const VmPodConfig& c, const std::string& id, const std::string& dir,
                                 const std::string& netns, const VmPodShape& shape, const std::string& cgroup) {
  if (c.runner.empty() || c.kernel.empty() || c.initrd.empty())
    return fail(Errc::Unavailable, "VM pods need berth-vm-runner and a guest kernel and initrd (berthd's --vm-kernel, --vm-initrd)");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::Internal, "creating " + dir + ": " + ec.message());
  std::vector<std::string> args = {c.runner,   "--id",          "pod-" + id, "--state-dir", dir,
                                   "--pod-vm", "--pool-fd",     "3",         "--pod-netns", netns,
                                   "--kernel", c.kernel,        "--initrd",  c.initrd,      "--accel",
                                   c.accel,    "--memory-mib",  std::to_string(shape.memory_mib),
                                   "--vcpus",  std::to_string(shape.vcpus)};
  if (!cgroup.empty()) args.insert(args.end(), {"--pod-cgroup", cgroup});
  auto ready = vm::spawn_keeper(std::move(args), "the pod's VM (" + dir + "/vm.log)");
  if (!ready) {
    if (!cgroup.empty()) vm::remove_pod_cgroup(cgroup);  // the keeper is on its way out
    return std::unexpected(ready.error().wrap("booting the pod's VM"));
  }
  return VmKeeper{ready->pid, ready->socket};
}

bool vm_keeper_alive(pid_t pid, const std::string& dir) {
  if (pid <= 0) return false;
  auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline) return false;
  return cmdline->find("--pod-vm") != std::string::npos && cmdline->find(dir) != std::string::npos;
}

namespace {

// Waits for pid (not our child) to end, up to ms; true when it did.
bool wait_gone(int pidfd, int ms) {
  pollfd p{pidfd, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left < 0) left = 0;
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

void stop_vm_keeper(pid_t pid, const std::string& dir, const std::string& cgroup) {
  if (vm_keeper_alive(pid, dir)) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (pidfd && vm_keeper_alive(pid, dir)) {
      ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGTERM, nullptr, 0);
      // The agent's shutdown is bounded by the keeper (10 s); then QEMU's end.
      if (!wait_gone(pidfd.get(), 15000)) {
        ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
        (void)wait_gone(pidfd.get(), 5000);
      }
    }
  }
  // What a killed keeper could not clean (its QEMU and virtiofsd died with it: PDEATHSIG).
  vm::detach_tree(dir + "/" + vm::kPoolShareDir);
  vm::remove_dir_same_fs(dir);
  if (!cgroup.empty()) vm::remove_pod_cgroup(cgroup);
}

}  // namespace berth::cri
