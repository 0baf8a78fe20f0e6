#include "cri/pods/netns_pool.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"

namespace berth::cri {

Result<UniqueFd> make_netns() {
  Result<UniqueFd> made = fail(Errc::Internal, "the network namespace was not made");
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      made = fail_errno("creating a network namespace");
      return;
    }
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (!s || ::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) {
      made = fail_errno("reading the flags of lo in a new network namespace");
      return;
    }
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) {
      made = fail_errno("bringing lo up in a new network namespace");
      return;
    }
    UniqueFd ns(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!ns) {
      made = fail_errno("opening a new network namespace");
      return;
    }
    made = std::move(ns);
  }).join();  // the thread ends: only the fd keeps the namespace
  return made;
}

Result<void> hold_netns_fd_at(int fd, const std::string& path) {
  int f = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (f < 0) return fail_errno("creating the net namespace file " + path);
  ::close(f);
  std::string source = "/proc/self/fd/" + std::to_string(fd);
  if (::mount(source.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    auto e = fail_errno("bind-mounting the net namespace at " + path);
    ::unlink(path.c_str());
    return e;
  }
  return {};
}

NetnsPool::~NetnsPool() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (filler_.joinable()) filler_.join();
}

UniqueFd NetnsPool::take() {
  std::lock_guard lk(mu_);
  if (!started_) {
    started_ = true;
    filler_ = std::thread([this] { fill(); });
  }
  UniqueFd out;
  if (!ready_.empty()) {
    out = std::move(ready_.front());
    ready_.pop_front();
  }
  cv_.notify_all();
  return out;
}

void NetnsPool::fill() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stopping_ || ready_.size() < keep_; });
    if (stopping_) return;
    lk.unlock();
    auto made = make_netns();
    lk.lock();
    if (!made) {
      // Pods make their own meanwhile; the pool stays empty rather than retrying in a loop.
      log::warn("the pool of network namespaces stops: {}", made.error().str());
      return;
    }
    ready_.push_back(std::move(*made));
  }
}

}  // namespace berth::cri
