// berth-vm-runner: the container's process as berth-shim sees it. berth-shim
// spawns it in place of the runtime library's container (its stdio are the
// container's pipes, or a pty it hands back over the console socket), waits
// for its "ready" line, then monitors it exactly as a namespace container's
// process: logs, attach, exit.json and live restore come from the shim. The
// runner makes the VM (virtiofsd per share, QEMU, the guest NIC), speaks the
// agent protocol (vmproto) and relays the process's stdio, signals, resize
// and exit status; it exits with the container's exit code. QEMU and
// virtiofsd die with it (PR_SET_PDEATHSIG), and it dies with QEMU: a killed
// QEMU ends the container with 137, never a hang.
//
// Its control socket (<state-dir>/vm.sock) takes one JSON line per request
// from the shim: {"op":"signal","signal":N,"all":B}, pause, resume (QMP stop
// and cont), stats; one JSON line answers ({"ok":..} or {"error":..,"code":..}).
#pragma once

#include <cstdint>
#include <string>

namespace berth::vm {

// The control socket in the runner's state dir (shim/vm_control.h is the client).
inline constexpr char kControlSocket[] = "vm.sock";

struct RunnerOptions {
  std::string id, bundle, state_dir;
  std::string console_socket;  // with a terminal
  bool open_stdin = false;
  int ready_fd = -1;
  std::string qemu = "/usr/bin/qemu-system-x86_64";
  std::string virtiofsd = "/usr/lib/qemu/virtiofsd";
  std::string kernel, initrd;
  std::string accel = "auto";
  uint64_t default_memory_mib = 128;
  // docker exec: the spec::Process JSON file to run in the container whose
  // runner's state dir is container_state_dir (no VM of its own).
  std::string exec_process, container_state_dir;
  // The pool (docs/vm.md): pool_vm makes this a pooled VM's keeper (booted,
  // no container; berthd's end is pool_fd); adopt makes a container's runner
  // take the booted VM of the keeper listening at that socket.
  bool pool_vm = false;
  int pool_fd = -1;
  std::string adopt;
  // A VM pod (docs/vm.md "Pods in one VM"): pod_vm makes this the pod's
  // keeper (boots the pod's VM on the NIC in pod_netns, serves the pod's
  // runners; report on pool_fd); pod makes a container's runner join the
  // keeper listening at that socket instead of booting.
  bool pod_vm = false;
  std::string pod_netns, pod;
  unsigned vcpus = 1;
  // The pod VM's cgroup (absolute, cgroupfs): the keeper, QEMU and virtiofsd
  // are accounted to the pod (berthd removes it once the keeper is gone).
  std::string pod_cgroup;
};

// A VM pod's keeper (pod_vm): in its state dir, `share` (the pod's one
// virtio-fs share) and `pod.sock`. It ends on SIGTERM (the agent's shutdown,
// bounded), or when its QEMU dies; either way every runner's connection
// closes (their containers exit 137), QEMU and virtiofsd are killed, the
// pod's eth0 gets its addresses back and the state dir goes.
inline constexpr char kPodSocket[] = "pod.sock";

// A pooled VM's keeper (pool_vm): boots the VM with its one share and tap,
// reports {"ok":true,"pid":N,"socket":PATH} (or an error) on pool_fd, then
// waits. berthd's end closing before a container's runner adopted the VM
// ends it; after, the runner's connection closing (or QEMU dying) ends it.
// On its way out it kills QEMU and virtiofsd, detaches the share's mounts
// and removes its state dir. Its state dir holds `lock` (flocked while it
// lives: berthd sweeps unlocked dirs left by a killed keeper).
inline constexpr char kPoolLockFile[] = "lock";
inline constexpr char kPoolSocket[] = "adopt.sock";
inline constexpr char kPoolShareDir[] = "share";

int run_vm(const RunnerOptions& o);

}  // namespace berth::vm
