// What one microVM is made of, and the command lines of the two host
// programs that make it: QEMU's `microvm` machine (qemu-system-x86_64) and
// one virtiofsd per shared directory. Pure: the runner (runner.h) spawns
// them with the fds named here already in place.
//
// Every channel to QEMU is an inherited fd, never a path QEMU must find:
//   agent   virtio-serial port "berth.agent" on a socketpair end (vmproto)
//   qmp     the QMP monitor on a socketpair end
//   net     a tap device's fd (guest_nic.h)
// virtiofsd listens on a unix socket the runner bound before spawning it
// (--fd), and QEMU connects to that path: the connection is queued in the
// backlog whether or not virtiofsd has reached accept() yet, so nothing waits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::vm {

enum class Accel { Kvm, Tcg };
const char* accel_name(Accel a);  // "kvm" | "tcg"

struct FsShare {
  std::string tag;          // virtio-fs tag the guest mounts by ("rootfs", "vol0", ...)
  std::string host_dir;     // what virtiofsd serves
  std::string socket_path;  // the vhost-user socket (bound by the runner)
  bool readonly = false;    // mounted read-only by the guest agent
};

struct MachineSpec {
  std::string qemu = "/usr/bin/qemu-system-x86_64";
  std::string kernel;   // vmlinuz
  std::string initrd;   // the agent's initramfs
  std::string kernel_cmdline_extra;
  Accel accel = Accel::Tcg;
  uint64_t memory_mib = 128;
  unsigned vcpus = 1;
  int agent_fd = -1;  // in QEMU's fd table
  int qmp_fd = -1;
  int tap_fd = -1;    // -1: no NIC
  std::string guest_mac;
  std::vector<FsShare> shares;
  uint64_t tsc_khz = 0;     // the host's TSC rate (TCG: tsc_early_khz), host_tsc_khz()
  std::string console_log;  // the guest's serial console goes here ("" = nowhere)
};

// Refuses what QEMU would reject late or that makes no machine.
Result<void> check_machine(const MachineSpec& m);

// QEMU's argv (argv[0] = m.qemu). virtio-fs needs the guest's RAM in a
// shared memory backend (memfd), so the memory is a memory-backend-memfd.
std::vector<std::string> qemu_argv(const MachineSpec& m);

// The kernel command line: serial console quiet unless asked, panic ->
// reboot -> QEMU exits (-no-reboot), the agent is /init of the initramfs.
std::string kernel_cmdline(const MachineSpec& m);

struct VirtiofsdSpec {
  std::string binary = "/usr/lib/qemu/virtiofsd";
  std::string source;
  int listen_fd = 3;  // the bound, listening vhost-user socket in its fd table
  unsigned threads = 1;
};
std::vector<std::string> virtiofsd_argv(const VirtiofsdSpec& s);

// VM size from the container's limits: bytes of --memory (0 = default) to
// MiB, at least the minimum a guest kernel + agent boots in; --cpus (as
// quota/period, 0 = unset) rounded up to whole vCPUs, at most `host_cpus`.
uint64_t guest_memory_mib(int64_t memory_limit_bytes, uint64_t default_mib);
unsigned guest_vcpus(int64_t cpu_quota, uint64_t cpu_period, unsigned host_cpus);

// The host's TSC rate in kHz from /proc/cpuinfo's "cpu MHz" (0 when unknown).
uint64_t host_tsc_khz(const std::string& cpuinfo_text);

inline constexpr uint64_t kMinGuestMib = 64;
inline constexpr uint64_t kTcgCacheMib = 16;
inline constexpr uint64_t kDefaultGuestMib = 128;

}  // namespace berth::vm
