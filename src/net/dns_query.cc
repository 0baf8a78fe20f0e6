// One query to the embedded DNS server: answered from the name lookup or
// handed to a forward, and where a reply goes (the UDP client's address, or
// its TCP connection). See dns_impl.h.
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "base/log.h"
#include "net/dns_impl.h"

namespace berth::net {

dns::Decision DnsServer::Impl::decide(Container& c, std::span<const uint8_t> q, bool tcp) {
  ++queries_;
  dns::NameLookup lookup = [&](const std::string& name) -> std::optional<std::vector<std::string>> {
    if (!lookup_) return std::nullopt;
    try {
      return lookup_(c.id, name);
    } catch (const std::exception& e) {
      log::warn("DNS: lookup of {} for {} failed: {}", name, c.id, e.what());
      return std::nullopt;
    }
  };
  dns::Decision d = dns::answer_query(q, lookup, tcp);
  if (d.kind == Decision::Kind::Reply && !d.qname.empty()) ++local_;
  return d;
}

void DnsServer::Impl::on_udp(uint64_t base) {
  Container* c = container(base);
  if (!c) return;
  for (int i = 0; i < 64; ++i) {
    SockAddr from;
    from.len = sizeof(from.ss);
    ssize_t n = ::recvfrom(c->udp.get(), buf_, sizeof(buf_), 0, reinterpret_cast<sockaddr*>(&from.ss), &from.len);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        log::debug("DNS: recvfrom for {}: {}", c->id, std::strerror(errno));
      if (errno == EINTR) continue;
      return;
    }
    std::span<const uint8_t> q(buf_, static_cast<size_t>(n));
    Decision d = decide(*c, q, false);
    if (d.kind == Decision::Kind::Reply) {
      ::sendto(c->udp.get(), d.reply.data(), d.reply.size(), MSG_DONTWAIT, from.sa(), from.len);
    } else if (d.kind == Decision::Kind::Forward) {
      start_fwd(base, *c, q, false, from, 0);
    }
  }
}

void DnsServer::Impl::reply(uint64_t base, bool tcp, const SockAddr& client, uint64_t conn_token,
                            std::span<const uint8_t> msg) {
  if (msg.empty()) return;
  if (!tcp) {
    if (Container* c = container(base))
      ::sendto(c->udp.get(), msg.data(), msg.size(), MSG_DONTWAIT, client.sa(), client.len);
    return;
  }
  auto it = conns_.find(conn_token);
  if (it == conns_.end()) return;
  dns_impl::append_framed(it->second.out, msg);
  it->second.busy = false;
}

}  // namespace berth::net
