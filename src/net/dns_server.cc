// The embedded DNS server's thread: its epoll loop, the command queue the
// public methods post to, and the timers of connections and forwards (see
// dns_impl.h for how the work is split over the files).
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "net/dns_impl.h"

namespace berth::net {

using dns_impl::kConn;
using dns_impl::kFwd;
using dns_impl::kKindMask;
using dns_impl::kListen;
using dns_impl::kUdp;
using dns_impl::kWake;

DnsServer::Impl::Impl(Lookup lookup, std::vector<SockAddr> upstream, DnsOptions options, SockAddr listen,
                      UniqueFd ep, UniqueFd wake, UniqueFd host_ns)
    : lookup_(std::move(lookup)),
      upstream_(std::move(upstream)),
      opt_(std::move(options)),
      listen_(listen),
      ep_(std::move(ep)),
      wake_(std::move(wake)),
      host_ns_(std::move(host_ns)) {}

void DnsServer::Impl::start() {
  thread_ = std::thread([this] { run(); });
  thread_id_ = thread_.get_id();
}

DnsServer::Impl::~Impl() {
  post([this] { stop_ = true; });
  if (thread_.joinable()) thread_.join();
}

void DnsServer::Impl::post(std::function<void()> f) {
  {
    std::lock_guard lock(cmd_mu_);
    cmds_.push_back(std::move(f));
  }
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof(one));
}

void DnsServer::Impl::watch(int fd, uint64_t token, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) log::error("DNS: epoll_ctl add: {}", std::strerror(errno));
}

void DnsServer::Impl::rewatch(int fd, uint64_t token, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  ::epoll_ctl(ep_.get(), EPOLL_CTL_MOD, fd, &ev);
}

void DnsServer::Impl::set_timer(Clock::time_point& slot, uint64_t token, Clock::time_point when) {
  timers_.erase({slot, token});
  slot = when;
  timers_.insert({when, token});
}

void DnsServer::Impl::run() {
  watch(wake_.get(), kWake, EPOLLIN);
  epoll_event evs[64];
  while (!stop_) {
    int timeout = -1;
    if (!timers_.empty()) {
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(timers_.begin()->first - Clock::now());
      timeout = static_cast<int>(std::max<int64_t>(0, wait.count()));
    }
    int n = ::epoll_wait(ep_.get(), evs, 64, timeout);
    if (n < 0 && errno != EINTR) {
      log::error("DNS: epoll_wait: {}", std::strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) dispatch(evs[i].data.u64, evs[i].events);
    auto now = Clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      uint64_t token = timers_.begin()->second;
      timers_.erase(timers_.begin());
      expire(token);
    }
  }
  // Close everything on the thread that owns it.
  fwds_.clear();
  conns_.clear();
  containers_.clear();
}

void DnsServer::Impl::dispatch(uint64_t token, uint32_t events) {
  switch (token & kKindMask) {
    case kWake: {
      uint64_t v;
      (void)!::read(wake_.get(), &v, sizeof(v));
      std::deque<std::function<void()>> cmds;
      {
        std::lock_guard lock(cmd_mu_);
        cmds.swap(cmds_);
      }
      for (auto& f : cmds) f();
      break;
    }
    case kUdp:
      on_udp(token & ~kKindMask);
      break;
    case kListen:
      on_accept(token & ~kKindMask);
      break;
    case kConn:
      on_conn(token, events);
      break;
    case kFwd:
      on_fwd(token, events);
      break;
  }
}

void DnsServer::Impl::expire(uint64_t token) {
  if ((token & kKindMask) == kFwd)
    expire_fwd(token);
  else if ((token & kKindMask) == kConn)
    expire_conn(token);
}

Result<std::unique_ptr<DnsServer>> DnsServer::create(Lookup lookup, std::vector<std::string> upstream,
                                                     DnsOptions options) {
  auto ups = TRY(dns_impl::parse_upstreams(upstream));
  dns_impl::SockAddr listen =
      TRY_CTX(dns_impl::parse_addr(options.listen_address, options.port), "DNS listen address");
  dns_impl::set_port(listen, options.port);
  UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep) return fail_errno("DNS: epoll_create1");
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake) return fail_errno("DNS: eventfd");
  // The server thread starts in this thread's namespace and returns to it
  // after each forward socket.
  UniqueFd host_ns(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!host_ns) return fail_errno("DNS: opening /proc/thread-self/ns/net");
  auto impl = std::make_unique<Impl>(std::move(lookup), std::move(ups), std::move(options), listen, std::move(ep),
                                     std::move(wake), std::move(host_ns));
  impl->start();
  return std::unique_ptr<DnsServer>(new DnsServer(std::move(impl)));
}

DnsServer::DnsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnsServer::~DnsServer() = default;

Result<void> DnsServer::add_container(const std::string& container_id, const std::string& netns_path,
                                      const std::vector<std::string>& upstream) {
  return impl_->add(container_id, netns_path, upstream);
}
void DnsServer::remove_container(const std::string& container_id) { impl_->remove(container_id); }
std::optional<uint16_t> DnsServer::port(const std::string& container_id) const { return impl_->port(container_id); }
DnsServer::Stats DnsServer::stats() const { return impl_->stats(); }

}  // namespace berth::net
