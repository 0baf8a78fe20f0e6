#include "vm/accel.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "base/defer.h"
#include "base/unique_fd.h"

namespace berth::vm {

Result<void> probe_kvm(const std::string& dev) {
  UniqueFd kvm(::open(dev.c_str(), O_RDWR | O_CLOEXEC));
  if (!kvm) return fail_errno(dev);
  if (::ioctl(kvm.get(), KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
    return fail(Errc::Unsupported, dev + " speaks another KVM API version");
  UniqueFd vm(::ioctl(kvm.get(), KVM_CREATE_VM, 0));
  if (!vm) return fail_errno("creating a KVM virtual machine");
  // One page of guest memory at 0x1000: out 0x10, al (al = 0x42); hlt.
  const size_t size = 0x1000;
  void* mem = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return fail_errno("mapping the probe guest's memory");
  auto unmap = Defer([&] { ::munmap(mem, size); });
  const unsigned char code[] = {0xb0, 0x42, 0xe6, 0x10, 0xf4};
  std::memcpy(mem, code, sizeof code);
  kvm_userspace_memory_region region{};
  region.slot = 0;
  region.guest_phys_addr = 0x1000;
  region.memory_size = size;
  region.userspace_addr = reinterpret_cast<uint64_t>(mem);
  if (::ioctl(vm.get(), KVM_SET_USER_MEMORY_REGION, &region) != 0) return fail_errno("giving the probe guest memory");
  UniqueFd vcpu(::ioctl(vm.get(), KVM_CREATE_VCPU, 0));
  if (!vcpu) return fail_errno("creating a KVM vCPU");
  int run_size = ::ioctl(kvm.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size <= 0) return fail_errno("sizing the vCPU's run area");
  void* run_mem = ::mmap(nullptr, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu.get(), 0);
  if (run_mem == MAP_FAILED) return fail_errno("mapping the vCPU's run area");
  auto unmap_run = Defer([&] { ::munmap(run_mem, run_size); });
  auto* run = static_cast<kvm_run*>(run_mem);
  kvm_sregs sregs{};
  if (::ioctl(vcpu.get(), KVM_GET_SREGS, &sregs) != 0) return fail_errno("reading the vCPU's segments");
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  if (::ioctl(vcpu.get(), KVM_SET_SREGS, &sregs) != 0) return fail_errno("setting the vCPU's segments");
  kvm_regs regs{};
  regs.rip = 0x1000;
  regs.rflags = 0x2;
  if (::ioctl(vcpu.get(), KVM_SET_REGS, &regs) != 0) return fail_errno("setting the vCPU's registers");
  bool saw_out = false;
  for (int i = 0; i < 4; ++i) {
    if (::ioctl(vcpu.get(), KVM_RUN, 0) != 0) return fail_errno("running a KVM vCPU");
    if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT && run->io.port == 0x10) {
      auto* data = reinterpret_cast<unsigned char*>(run) + run->io.data_offset;
      saw_out = *data == 0x42;
      continue;
    }
    if (run->exit_reason == KVM_EXIT_HLT) {
      if (saw_out) return {};
      break;
    }
    return fail(Errc::Unsupported, "a KVM vCPU stopped with exit reason " + std::to_string(run->exit_reason));
  }
  return fail(Errc::Unsupported, "a KVM vCPU did not run the probe's instructions");
}

Result<AccelChoice> choose_accel(std::string_view mode, const std::string& dev) {
  if (mode == "tcg") return AccelChoice{Accel::Tcg, "TCG asked for (--vm-accel tcg)"};
  if (mode != "auto" && mode != "kvm")
    return fail(Errc::InvalidArgument, "VM acceleration '" + std::string(mode) + "': expected auto, kvm or tcg");
  auto probe = probe_kvm(dev);
  if (probe) return AccelChoice{Accel::Kvm, "KVM runs a vCPU on " + dev};
  if (mode == "kvm") return fail(Errc::Unavailable, "KVM asked for but it does not work here: " + probe.error().str());
  return AccelChoice{Accel::Tcg, "software emulation (TCG): " + probe.error().str()};
}

}  // namespace berth::vm
