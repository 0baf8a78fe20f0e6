#include "vm/machine.h"

#include <algorithm>
#include <cstdlib>

namespace berth::vm {

const char* accel_name(Accel a) { return a == Accel::Kvm ? "kvm" : "tcg"; }

Result<void> check_machine(const MachineSpec& m) {
  if (m.qemu.empty() || m.kernel.empty() || m.initrd.empty())
    return fail(Errc::InvalidArgument, "a microVM needs qemu, a kernel and an initramfs");
  if (m.memory_mib < kMinGuestMib)
    return fail(Errc::InvalidArgument, "a microVM needs at least " + std::to_string(kMinGuestMib) + " MiB of memory, not " +
                                           std::to_string(m.memory_mib));
  if (m.vcpus == 0) return fail(Errc::InvalidArgument, "a microVM needs at least one vCPU");
  if (m.agent_fd < 0 || m.qmp_fd < 0) return fail(Errc::InvalidArgument, "a microVM needs its agent and QMP channels");
  if (m.tap_fd >= 0 && m.guest_mac.empty()) return fail(Errc::InvalidArgument, "a microVM NIC needs a MAC address");
  for (const auto& s : m.shares)
    if (s.tag.empty() || s.socket_path.empty())
      return fail(Errc::InvalidArgument, "a shared directory needs a tag and a socket");
  return {};
}

std::string kernel_cmdline(const MachineSpec& m) {
  // panic=-1 + -no-reboot: a guest panic ends QEMU (the container dies, never hangs).
  // cryptomgr.notests: the crypto self-tests cost boot time under TCG (docs/vm.md).
  std::string c = "console=ttyS0 quiet panic=-1 reboot=t cryptomgr.notests";
  // A microvm has no PIT/HPET/PM timer and TCG's CPUID gives no TSC rate: the
  // guest would hang calibrating. TCG's TSC runs at the host's rate: say it.
  if (m.accel == Accel::Tcg && m.tsc_khz) c += " tsc_early_khz=" + std::to_string(m.tsc_khz) + " tsc=reliable no_timer_check";
  if (!m.kernel_cmdline_extra.empty()) c += " " + m.kernel_cmdline_extra;
  return c;
}

std::vector<std::string> qemu_argv(const MachineSpec& m) {
  std::string mem = std::to_string(m.memory_mib) + "M";
  std::vector<std::string> a = {m.qemu};
  // microvm: no PCI, virtio-mmio only; its ACPI tables are how Debian's
  // kernels find the virtio-mmio devices (docs/vm.md), so ACPI stays on.
  a.insert(a.end(), {"-M", "microvm,memory-backend=mem"});
  // TCG's translation cache defaults to 1 GiB and fills as the guest runs
  // (every MiB of it is host memory): 16 MiB boots the guest as fast as 64
  // and saves ~9 MiB of QEMU's PSS; 8 saves ~7 more but boots slower
  // (bench/vm-guest-boot.sh, docs/performance.md).
  a.insert(a.end(), {"-accel", m.accel == Accel::Kvm ? std::string("kvm") : "tcg,tb-size=" + std::to_string(kTcgCacheMib)});
  a.insert(a.end(), {"-cpu", m.accel == Accel::Kvm ? "host" : "max"});
  a.insert(a.end(), {"-m", mem, "-smp", std::to_string(m.vcpus),
                     // virtio-fs's vhost-user backend maps guest RAM: it must be shareable.
                     "-object", "memory-backend-memfd,id=mem,size=" + mem + ",share=on",
                     "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                     // virtiofsd refuses legacy virtio-mmio devices, microvm's default.
                     "-global", "virtio-mmio.force-legacy=false",
                     "-kernel", m.kernel, "-initrd", m.initrd, "-append", kernel_cmdline(m)});
  if (!m.console_log.empty())
    a.insert(a.end(), {"-chardev", "file,id=con,path=" + m.console_log, "-serial", "chardev:con"});
  else
    a.insert(a.end(), {"-serial", "none"});
  a.insert(a.end(), {"-chardev", "socket,id=qmp,fd=" + std::to_string(m.qmp_fd), "-mon", "chardev=qmp,mode=control"});
  a.insert(a.end(), {"-device", "virtio-serial-device,max_ports=2", "-chardev",
                     "socket,id=agent,fd=" + std::to_string(m.agent_fd), "-device",
                     "virtserialport,chardev=agent,name=berth.agent"});
  for (size_t i = 0; i < m.shares.size(); ++i) {
    std::string id = "fs" + std::to_string(i);
    a.insert(a.end(), {"-chardev", "socket,id=" + id + ",path=" + m.shares[i].socket_path, "-device",
                       "vhost-user-fs-device,chardev=" + id + ",tag=" + m.shares[i].tag});
  }
  if (m.tap_fd >= 0)
    a.insert(a.end(), {"-netdev", "tap,id=net0,fd=" + std::to_string(m.tap_fd), "-device",
                       "virtio-net-device,netdev=net0,mac=" + m.guest_mac});
  // Free page reporting: the guest's balloon driver hands back the pages it
  // freed (the loaded initramfs, its init memory, what a container freed) and
  // QEMU punches them out of the memfd (docs/vm.md "Host memory per VM").
  // Last, so the other devices keep their virtio-mmio slots.
  a.insert(a.end(), {"-device", "virtio-balloon-device,free-page-reporting=on"});
  return a;
}

std::vector<std::string> virtiofsd_argv(const VirtiofsdSpec& s) {
  // sandbox=chroot: virtiofsd may run where it cannot make namespaces (berthd
  // inside a container); it still cannot leave the shared tree.
  return {s.binary,
          "--fd=" + std::to_string(s.listen_fd),
          "-o", "source=" + s.source,
          "-o", "cache=auto",
          "-o", "sandbox=chroot",
          "-o", "xattr",
          "-o", "announce_submounts",
          "--thread-pool-size=" + std::to_string(s.threads)};
}

uint64_t host_tsc_khz(const std::string& cpuinfo) {
  auto at = cpuinfo.find("cpu MHz");
  if (at == std::string::npos) return 0;
  auto colon = cpuinfo.find(':', at);
  if (colon == std::string::npos) return 0;
  double mhz = std::strtod(cpuinfo.c_str() + colon + 1, nullptr);
  return mhz > 0 ? static_cast<uint64_t>(mhz * 1000 + 0.5) : 0;
}

uint64_t guest_memory_mib(int64_t memory_limit_bytes, uint64_t default_mib) {
  if (memory_limit_bytes <= 0) return std::max(default_mib, kMinGuestMib);
  uint64_t mib = (static_cast<uint64_t>(memory_limit_bytes) + (1u << 20) - 1) >> 20;
  return std::max(mib, kMinGuestMib);
}

unsigned guest_vcpus(int64_t cpu_quota, uint64_t cpu_period, unsigned host_cpus) {
  unsigned cap = std::max(host_cpus, 1u);
  if (cpu_quota <= 0 || cpu_period == 0) return 1;
  uint64_t n = (static_cast<uint64_t>(cpu_quota) + cpu_period - 1) / cpu_period;
  return static_cast<unsigned>(std::clamp<uint64_t>(n, 1, cap));
}

}  // namespace berth::vm
