// The containers the embedded DNS server serves: their listening sockets,
// opened inside each container's network namespace, and their registration
// with the server thread (see dns_impl.h).
#include <fcntl.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <memory>

#include "net/dns_impl.h"

namespace berth::net {
namespace {

using dns_impl::SockAddr;

struct Listeners {
  UniqueFd udp, tcp;
  uint16_t port = 0;
};

Result<Listeners> open_listeners_once(SockAddr addr) {
  Listeners l;
  l.udp.reset(::socket(addr.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!l.udp) return fail_errno("opening the DNS UDP socket");
  if (::bind(l.udp.get(), addr.sa(), addr.len) != 0) return fail_errno("binding the DNS UDP socket");
  SockAddr bound;
  bound.len = sizeof(bound.ss);
  if (::getsockname(l.udp.get(), reinterpret_cast<sockaddr*>(&bound.ss), &bound.len) != 0)
    return fail_errno("reading the DNS UDP socket's address");
  l.port = dns_impl::port_of(bound);
  dns_impl::set_port(addr, l.port);
  l.tcp.reset(::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!l.tcp) return fail_errno("opening the DNS TCP socket");
  int one = 1;
  ::setsockopt(l.tcp.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(l.tcp.get(), addr.sa(), addr.len) != 0) return fail_errno("binding the DNS TCP socket");
  if (::listen(l.tcp.get(), 128) != 0) return fail_errno("listening on the DNS TCP socket");
  return l;
}

Result<Listeners> open_listeners(const SockAddr& addr) {
  // With an ephemeral port the TCP port may be taken: try a few.
  for (int attempt = 0;; ++attempt) {
    auto l = open_listeners_once(addr);
    if (l || dns_impl::port_of(addr) != 0 || l.error().sys_errno != EADDRINUSE || attempt == 8) return l;
  }
}

}  // namespace

using dns_impl::kListen;
using dns_impl::kUdp;
using dns_impl::kWake;

Result<void> DnsServer::Impl::add(const std::string& id, const std::string& netns_path,
                                  const std::vector<std::string>& up) {
  if (id.empty()) return fail(Errc::InvalidArgument, "DNS: empty container id");
  auto c = std::make_unique<Container>();
  c->id = id;
  c->upstream = up.empty() ? upstream_ : TRY(dns_impl::parse_upstreams(up));
  {
    std::lock_guard lock(ports_mu_);
    if (ports_.contains(id)) return fail(Errc::AlreadyExists, "DNS: container " + id + " already served");
  }
  Result<Listeners> l = fail(Errc::Internal, "");
  if (netns_path.empty()) {
    l = open_listeners(listen_);
  } else {
    c->netns.reset(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!c->netns) return fail_errno("DNS: opening the network namespace " + netns_path);
    std::thread([&] {
      if (::setns(c->netns.get(), CLONE_NEWNET) != 0) {
        l = fail_errno("DNS: entering the network namespace " + netns_path);
        return;
      }
      l = open_listeners(listen_);
    }).join();
  }
  if (!l) return std::unexpected(std::move(l).error().wrap("DNS server of container " + id));
  c->udp = std::move(l->udp);
  c->tcp = std::move(l->tcp);
  {
    std::lock_guard lock(ports_mu_);
    if (!ports_.emplace(id, l->port).second)
      return fail(Errc::AlreadyExists, "DNS: container " + id + " already served");
  }
  std::shared_ptr<Container> shared = std::move(c);
  post([this, shared]() mutable { register_container(std::move(*shared)); });
  return {};
}

void DnsServer::Impl::remove(const std::string& id) {
  {
    std::lock_guard lock(ports_mu_);
    if (ports_.erase(id) == 0) return;
  }
  if (std::this_thread::get_id() == thread_id_) {
    unregister_container(id);
    return;
  }
  std::promise<void> done;
  auto fut = done.get_future();
  post([&] {
    unregister_container(id);
    done.set_value();
  });
  fut.wait();
}

std::optional<uint16_t> DnsServer::Impl::port(const std::string& id) const {
  std::lock_guard lock(ports_mu_);
  auto it = ports_.find(id);
  if (it == ports_.end()) return std::nullopt;
  return it->second;
}

void DnsServer::Impl::register_container(Container&& c) {
  uint64_t base = new_token(kWake);
  auto [it, inserted] = containers_.emplace(base, std::make_unique<Container>(std::move(c)));
  Container& ct = *it->second;
  ids_[ct.id] = base;
  watch(ct.udp.get(), base | kUdp, EPOLLIN);
  watch(ct.tcp.get(), base | kListen, EPOLLIN);
}

void DnsServer::Impl::unregister_container(const std::string& id) {
  auto idit = ids_.find(id);
  if (idit == ids_.end()) return;
  auto it = containers_.find(idit->second);
  ids_.erase(idit);
  if (it == containers_.end()) return;
  Container& c = *it->second;
  for (uint64_t t : std::vector<uint64_t>(c.fwds.begin(), c.fwds.end())) drop_fwd(t);
  for (uint64_t t : std::vector<uint64_t>(c.conns.begin(), c.conns.end())) close_conn(t);
  containers_.erase(it);  // closes the listening sockets (and leaves epoll with them)
}

DnsServer::Impl::Container* DnsServer::Impl::container(uint64_t base) {
  auto it = containers_.find(base);
  return it == containers_.end() ? nullptr : it->second.get();
}

}  // namespace berth::net
