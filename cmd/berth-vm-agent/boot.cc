#include "boot.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"

namespace berth::vmagent {
namespace {

Result<void> mount_fs(const char* source, const char* target, const char* type, unsigned long flags,
                      const char* data = nullptr) {
  ::mkdir(target, 0755);
  if (::mount(source, target, type, flags, data) != 0) return fail_errno(std::string("mounting ") + type + " on " + target);
  return {};
}

}  // namespace

void ensure_console() {
  if (::fcntl(0, F_GETFD) >= 0 && ::fcntl(2, F_GETFD) >= 0) return;
  ::mkdir("/dev", 0755);
  ::mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  int fd = ::open("/dev/console", O_RDWR);
  if (fd < 0) return;
  for (int i = 0; i < 3; ++i) ::dup2(fd, i);
  if (fd > 2) ::close(fd);
}

Result<void> make_root_pivotable() {
  // The initramfs is the rootfs mount, which has no parent: pivot_root (the
  // runtime's, for each container) cannot leave it. A recursive bind mount of
  // it (with /dev, which holds the console), moved onto /, is a mount with a
  // parent. Nothing is copied: the files stay in the pages the kernel
  // unpacked them to (a copy to a tmpfs cost guest memory, and so host
  // memory, and boot time under TCG; docs/vm.md).
  ::mkdir("/newroot", 0755);
  if (::mount("/", "/newroot", nullptr, MS_BIND | MS_REC, nullptr) != 0) return fail_errno("bind-mounting / on /newroot");
  if (::chdir("/newroot") != 0) return fail_errno("chdir /newroot");
  if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) return fail_errno("moving the bind mount of / onto /");
  if (::chroot(".") != 0) return fail_errno("chroot into the bind mount of /");
  if (::chdir("/") != 0) return fail_errno("chdir /");
  return {};
}

Result<void> mount_kernel_filesystems() {
  // /dev is devtmpfs from stage 1 (it holds the console); mount it if not.
  struct stat st;
  if (::stat("/dev/null", &st) != 0) TRYV(mount_fs("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"));
  TRYV(mount_fs("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC));
  TRYV(mount_fs("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC));
  TRYV(mount_fs("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"));
  TRYV(mount_fs("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"));
  TRYV(mount_fs("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"));
  TRYV(mount_fs("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"));
  TRYV(mount_fs("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate"));
  auto controllers = read_file("/sys/fs/cgroup/cgroup.controllers");
  if (controllers) {
    for (const auto& c : split(trim(*controllers), ' ', true)) {
      auto r = write_existing("/sys/fs/cgroup/cgroup.subtree_control", "+" + c);
      if (!r) log::warn("vm agent: cannot enable the {} controller: {}", c, r.error().str());
    }
  }
  return {};
}

void lower_page_reporting_order() {
  // The balloon driver sets the order when it registers (before /init runs),
  // overriding a command line value: so it is set here, after.
  const char* param = "/sys/module/page_reporting/parameters/page_reporting_order";
  int fd = ::open(param, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  std::string v = std::to_string(kPageReportingOrder);
  if (::write(fd, v.data(), v.size()) != static_cast<ssize_t>(v.size()))
    log::warn("vm agent: cannot set {} to {}: {}", param, v, std::strerror(errno));
  ::close(fd);
}

Result<void> load_modules() {
  auto list = read_file(kModuleList);
  if (!list) return {};  // a kernel with everything built in needs none
  for (const auto& path : split(*list, '\n', true)) {
    std::string p(trim(path));
    if (p.empty() || p[0] == '#') continue;
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail_errno("opening the module " + p);
    long r = ::syscall(SYS_finit_module, fd, "", 0);
    int err = errno;
    ::close(fd);
    if (r != 0 && err != EEXIST) return fail_errno("loading the module " + p, err);
  }
  return {};
}

Result<UniqueFd> open_virtio_port(const std::string& name, int timeout_ms) {
  // Ports appear when the host's control messages arrive, after the driver
  // loaded: watch uevents, and look again after each.
  UniqueFd uev(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT));
  if (uev) {
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = 1;
    if (::bind(uev.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) uev.reset();
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (DIR* d = ::opendir("/sys/class/virtio-ports")) {
      std::string dev;
      while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        auto n = read_file(std::string("/sys/class/virtio-ports/") + e->d_name + "/name");
        if (n && trim(*n) == name) dev = e->d_name;
      }
      ::closedir(d);
      if (!dev.empty()) {
        std::string path = "/dev/" + dev;
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY));
        if (fd) return fd;
        if (errno != ENOENT) return fail_errno("opening " + path);
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0 || !uev)
      return fail(Errc::NotFound, "no virtio-serial port named \"" + name + "\" appeared within " +
                                      std::to_string(timeout_ms) + " ms (does the host pass -device virtserialport,name=" +
                                      name + "?)");
    pollfd p{uev.get(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left));
    char buf[8192];
    while (::recv(uev.get(), buf, sizeof buf, 0) > 0) {
    }
  }
}

void power_off() {
  ::sync();
  ::reboot(RB_POWER_OFF);
  for (;;) ::pause();
}

}  // namespace berth::vmagent
