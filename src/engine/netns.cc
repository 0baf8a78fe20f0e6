#include "engine/netns.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "base/unique_fd.h"

namespace berth::engine {

Result<void> loopback_up() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return fail_errno("opening a socket to configure lo");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) return fail_errno("reading the flags of lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) return fail_errno("bringing lo up");
  return {};
}

Result<void> create_netns(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) return fail_errno("creating the network namespace file " + path);
  ::close(fd);
  Result<void> result;
  // The namespace belongs to the thread that unshares; it ends with the thread
  // once the bind mount holds it.
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      result = fail_errno("creating a network namespace");
      return;
    }
    if (auto r = loopback_up(); !r) {
      result = r;
      return;
    }
    if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0)
      result = fail_errno("bind-mounting the network namespace at " + path);
  }).join();
  if (!result) ::unlink(path.c_str());
  return result;
}

void remove_netns(const std::string& path) {
  ::umount2(path.c_str(), MNT_DETACH);
  ::unlink(path.c_str());
}

}  // namespace berth::engine
