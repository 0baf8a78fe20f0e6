#include "vm/machine.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace berth::vm {
namespace {

MachineSpec spec() {
  MachineSpec m;
  m.kernel = "/k";
  m.initrd = "/i";
  m.agent_fd = 3;
  m.qmp_fd = 4;
  return m;
}

// The value after flag `flag` (its n-th occurrence), or "".
std::string after(const std::vector<std::string>& a, const std::string& flag, int n = 0) {
  for (size_t i = 0; i + 1 < a.size(); ++i)
    if (a[i] == flag && n-- == 0) return a[i + 1];
  return "";
}

bool contains(const std::vector<std::string>& a, const std::string& s) { return std::find(a.begin(), a.end(), s) != a.end(); }

TEST(QemuArgv, MicrovmWithTheChosenAccelAndMemfdMemory) {
  auto m = spec();
  m.memory_mib = 256;
  m.vcpus = 2;
  auto a = qemu_argv(m);
  EXPECT_EQ(a[0], "/usr/bin/qemu-system-x86_64");
  EXPECT_EQ(after(a, "-M"), "microvm,memory-backend=mem");
  EXPECT_EQ(after(a, "-accel"), "tcg,tb-size=16");
  EXPECT_EQ(after(a, "-m"), "256M");
  EXPECT_EQ(after(a, "-smp"), "2");
  EXPECT_EQ(after(a, "-object"), "memory-backend-memfd,id=mem,size=256M,share=on");
  EXPECT_EQ(after(a, "-cpu"), "max");
  EXPECT_TRUE(contains(a, "virtio-mmio.force-legacy=false"));
  m.accel = Accel::Kvm;
  a = qemu_argv(m);
  EXPECT_EQ(after(a, "-accel"), "kvm");
  EXPECT_EQ(after(a, "-cpu"), "host");
}

TEST(QemuArgv, ChannelsAreInheritedFds) {
  auto a = qemu_argv(spec());
  EXPECT_TRUE(contains(a, "socket,id=qmp,fd=4"));
  EXPECT_TRUE(contains(a, "socket,id=agent,fd=3"));
  EXPECT_TRUE(contains(a, "virtserialport,chardev=agent,name=berth.agent"));
  EXPECT_TRUE(contains(a, "-no-reboot"));
  EXPECT_FALSE(contains(a, "-netdev"));  // no NIC without a tap
}

TEST(QemuArgv, SharesAndNic) {
  auto m = spec();
  m.shares = {{"rootfs", "/r", "/s/fs0.sock", false}, {"vol0", "/v", "/s/fs1.sock", true}};
  m.tap_fd = 5;
  m.guest_mac = "02:42:0a:00:00:02";
  auto a = qemu_argv(m);
  EXPECT_TRUE(contains(a, "socket,id=fs0,path=/s/fs0.sock"));
  EXPECT_TRUE(contains(a, "vhost-user-fs-device,chardev=fs0,tag=rootfs"));
  EXPECT_TRUE(contains(a, "vhost-user-fs-device,chardev=fs1,tag=vol1") == false);
  EXPECT_TRUE(contains(a, "vhost-user-fs-device,chardev=fs1,tag=vol0"));
  EXPECT_TRUE(contains(a, "tap,id=net0,fd=5"));
  EXPECT_TRUE(contains(a, "virtio-net-device,netdev=net0,mac=02:42:0a:00:00:02"));
}

TEST(QemuArgv, BalloonReportsFreePagesAndComesLast) {
  // The guest hands freed pages back (free page reporting); the device is
  // the last one, so the agent port, shares and NIC keep their mmio slots.
  auto m = spec();
  m.shares = {{"rootfs", "/r", "/s/fs0.sock", false}};
  m.tap_fd = 5;
  m.guest_mac = "02:42:0a:00:00:02";
  auto a = qemu_argv(m);
  ASSERT_GE(a.size(), 2u);
  EXPECT_EQ(a[a.size() - 2], "-device");
  EXPECT_EQ(a.back(), "virtio-balloon-device,free-page-reporting=on");
  EXPECT_EQ(std::count_if(a.begin(), a.end(), [](const std::string& s) { return s.find("balloon") != std::string::npos; }), 1);
}

TEST(QemuArgv, KernelCommandLineEndsQemuOnPanicAndGivesTcgTheTscRate) {
  auto m = spec();
  m.tsc_khz = 2596144;
  auto c = kernel_cmdline(m);
  EXPECT_NE(c.find("panic=-1"), std::string::npos);
  EXPECT_NE(c.find("tsc_early_khz=2596144 tsc=reliable no_timer_check"), std::string::npos);
  m.accel = Accel::Kvm;  // kvmclock
  EXPECT_EQ(kernel_cmdline(m).find("tsc_early_khz"), std::string::npos);
}

TEST(HostTsc, FromCpuinfo) {
  EXPECT_EQ(host_tsc_khz("processor\t: 0\ncpu MHz\t\t: 2596.144\ncache size : 1\n"), 2596144u);
  EXPECT_EQ(host_tsc_khz("processor : 0\n"), 0u);
}

TEST(CheckMachine, RefusesWhatMakesNoMachine) {
  EXPECT_TRUE(check_machine(spec()));
  auto m = spec();
  m.memory_mib = 32;
  EXPECT_EQ(check_machine(m).error().code, Errc::InvalidArgument);
  m = spec();
  m.kernel.clear();
  EXPECT_FALSE(check_machine(m));
  m = spec();
  m.tap_fd = 5;
  EXPECT_FALSE(check_machine(m));  // a NIC without a MAC
  m = spec();
  m.vcpus = 0;
  EXPECT_FALSE(check_machine(m));
}

TEST(VirtiofsdArgv, ServesTheSourceOnTheInheritedSocket) {
  VirtiofsdSpec s;
  s.source = "/data";
  auto a = virtiofsd_argv(s);
  EXPECT_EQ(a[0], "/usr/lib/qemu/virtiofsd");
  EXPECT_TRUE(contains(a, "--fd=3"));
  EXPECT_TRUE(contains(a, "source=/data"));
  EXPECT_TRUE(contains(a, "sandbox=chroot"));
}

TEST(GuestSize, FromTheContainersLimits) {
  EXPECT_EQ(guest_memory_mib(0, 128), 128u);
  EXPECT_EQ(guest_memory_mib(256ll << 20, 128), 256u);
  EXPECT_EQ(guest_memory_mib((256ll << 20) + 1, 128), 257u);  // rounded up
  EXPECT_EQ(guest_memory_mib(6 << 20, 128), kMinGuestMib);     // at least what boots
  EXPECT_EQ(guest_vcpus(0, 0, 8), 1u);
  EXPECT_EQ(guest_vcpus(150000, 100000, 8), 2u);  // --cpus 1.5
  EXPECT_EQ(guest_vcpus(800000, 100000, 2), 2u);  // at most the host's
}

}  // namespace
}  // namespace berth::vm
