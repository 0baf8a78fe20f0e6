// Forwarding to the upstream resolvers: a query the name lookup does not know
// is relayed from inside the asking container's namespace (UDP for UDP
// queries, TCP for TCP) to each upstream server in turn until one answers the
// same question; none does: SERVFAIL. See dns_impl.h.
#include <sched.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/log.h"
#include "net/dns_impl.h"

namespace berth::net {
namespace {

std::vector<uint8_t> restore_id(std::vector<uint8_t> msg, uint16_t id) {
  if (msg.size() >= 2) {
    msg[0] = static_cast<uint8_t>(id >> 8);
    msg[1] = static_cast<uint8_t>(id & 0xff);
  }
  return msg;
}

}  // namespace

using dns_impl::kFwd;

// socket() in the container's namespace: the server thread steps in and out.
Result<UniqueFd> DnsServer::Impl::socket_in(const Container& c, int family, int type) {
  if (!c.netns) {
    UniqueFd fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return fail_errno("opening a DNS forward socket");
    return fd;
  }
  if (::setns(c.netns.get(), CLONE_NEWNET) != 0) return fail_errno("DNS: entering the namespace of " + c.id);
  UniqueFd fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  int err = errno;
  if (::setns(host_ns_.get(), CLONE_NEWNET) != 0) {
    // The thread would serve every container from the wrong namespace.
    log::error("DNS: cannot return to the daemon's network namespace: {}", std::strerror(errno));
    std::abort();
  }
  if (!fd) return fail_errno("opening a DNS forward socket for " + c.id, err);
  return fd;
}

void DnsServer::Impl::start_fwd(uint64_t base, Container& c, std::span<const uint8_t> q, bool tcp,
                                const SockAddr& client, uint64_t conn) {
  bool full = fwds_.size() >= opt_.max_forwards || c.fwds.size() >= opt_.max_forwards_per_container;
  if (c.upstream.empty() || full) {
    if (full) log::warn("DNS: too many forwards in flight for {}, refusing more", c.id);
    ++servfail_;
    reply(base, tcp, client, conn, dns::error_reply(q, kServfail));
    return;
  }
  ++forwarded_;
  uint64_t token = new_token(kFwd);
  Fwd& f = fwds_[token];
  f.container = base;
  f.tcp = tcp;
  f.client = client;
  f.conn = conn;
  f.query.assign(q.begin(), q.end());
  f.client_id = static_cast<uint16_t>((f.query[0] << 8) | f.query[1]);
  uint16_t id = static_cast<uint16_t>(::arc4random());
  f.query[0] = static_cast<uint8_t>(id >> 8);
  f.query[1] = static_cast<uint8_t>(id & 0xff);
  c.fwds.insert(token);
  try_next(token, false);
}

// Tries f.next (or the one after it when `advance`); SERVFAIL when none is left.
void DnsServer::Impl::try_next(uint64_t token, bool advance) {
  Fwd& f = fwds_.at(token);
  Container* c = container(f.container);
  if (!c) return drop_fwd(token);
  if (advance) ++f.next;
  timers_.erase({f.deadline, token});
  f.fd.reset();
  f.connected = false;
  f.in.clear();
  f.out.clear();
  f.out_off = 0;
  for (; f.next < c->upstream.size(); ++f.next) {
    const SockAddr& up = c->upstream[f.next];
    auto fd = socket_in(*c, up.family(), f.tcp ? SOCK_STREAM : SOCK_DGRAM);
    if (!fd) {
      log::warn("{}", fd.error().str());
      continue;
    }
    int r = ::connect(fd->get(), up.sa(), up.len);
    if (r != 0 && !(f.tcp && errno == EINPROGRESS)) continue;
    f.fd = std::move(*fd);
    if (f.tcp) {
      dns_impl::append_framed(f.out, f.query);
      watch(f.fd.get(), token, EPOLLOUT | EPOLLIN);
    } else {
      if (::send(f.fd.get(), f.query.data(), f.query.size(), MSG_DONTWAIT) < 0) {
        f.fd.reset();
        continue;
      }
      watch(f.fd.get(), token, EPOLLIN);
    }
    f.deadline = {};
    set_timer(f.deadline, token, Clock::now() + opt_.forward_timeout);
    return;
  }
  ++servfail_;
  finish_fwd(token, dns::error_reply(restore_id(f.query, f.client_id), kServfail));
}

void DnsServer::Impl::on_fwd(uint64_t token, uint32_t events) {
  auto it = fwds_.find(token);
  if (it == fwds_.end()) return;
  Fwd& f = it->second;
  if (!f.tcp) {
    for (;;) {
      ssize_t n = ::recv(f.fd.get(), buf_, sizeof(buf_), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return;
        return try_next(token, true);  // ECONNREFUSED and friends: next server
      }
      std::span<const uint8_t> resp(buf_, static_cast<size_t>(n));
      if (dns::response_matches(f.query, resp)) {
        return finish_fwd(token, restore_id(std::vector<uint8_t>(resp.begin(), resp.end()), f.client_id));
      }
      // Not the answer to our question: keep waiting for it.
    }
  }
  if (events & EPOLLERR) return try_next(token, true);
  if (!f.connected && (events & (EPOLLOUT | EPOLLHUP))) {
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(f.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return try_next(token, true);
    f.connected = true;
  }
  if (f.connected && f.out_off < f.out.size()) {
    ssize_t n = ::send(f.fd.get(), f.out.data() + f.out_off, f.out.size() - f.out_off, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return try_next(token, true);
    if (n > 0) f.out_off += static_cast<size_t>(n);
    if (f.out_off == f.out.size()) rewatch(f.fd.get(), token, EPOLLIN);
  }
  if (events & (EPOLLIN | EPOLLHUP)) {
    for (;;) {
      ssize_t n = ::read(f.fd.get(), buf_, sizeof(buf_));
      if (n > 0) {
        f.in.insert(f.in.end(), buf_, buf_ + n);
        if (f.in.size() >= 2) {
          size_t len = (size_t{f.in[0]} << 8) | f.in[1];
          if (f.in.size() >= 2 + len) {
            std::vector<uint8_t> resp(f.in.begin() + 2, f.in.begin() + 2 + len);
            if (!dns::response_matches(f.query, resp)) return try_next(token, true);
            return finish_fwd(token, restore_id(std::move(resp), f.client_id));
          }
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      return try_next(token, true);  // closed before a whole answer, or an error
    }
  }
}

void DnsServer::Impl::drop_fwd(uint64_t token) {
  auto it = fwds_.find(token);
  if (it == fwds_.end()) return;
  timers_.erase({it->second.deadline, token});
  if (Container* c = container(it->second.container)) c->fwds.erase(token);
  fwds_.erase(it);
}

void DnsServer::Impl::finish_fwd(uint64_t token, std::vector<uint8_t> msg) {
  auto it = fwds_.find(token);
  if (it == fwds_.end()) return;
  uint64_t base = it->second.container;
  bool tcp = it->second.tcp;
  SockAddr client = it->second.client;
  uint64_t conn = it->second.conn;
  drop_fwd(token);
  reply(base, tcp, client, conn, msg);
  if (tcp && !in_serve_) serve_conn(conn);  // else the serve_conn below us carries on
}

// The server being tried did not answer in time: the next one.
void DnsServer::Impl::expire_fwd(uint64_t token) {
  auto it = fwds_.find(token);
  if (it == fwds_.end()) return;
  it->second.deadline = {};
  try_next(token, true);
}

}  // namespace berth::net
