// Client TCP connections to the embedded DNS server: accepting them, reading
// length-framed queries, answering one at a time (a forward in flight holds
// the next query back), writing framed replies, and the idle timeout. See
// dns_impl.h.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "net/dns_impl.h"

namespace berth::net {

using dns_impl::kConn;

void dns_impl::append_framed(std::vector<uint8_t>& out, std::span<const uint8_t> msg) {
  out.push_back(static_cast<uint8_t>(msg.size() >> 8));
  out.push_back(static_cast<uint8_t>(msg.size() & 0xff));
  out.insert(out.end(), msg.begin(), msg.end());
}

void DnsServer::Impl::on_accept(uint64_t base) {
  Container* c = container(base);
  if (!c) return;
  for (;;) {
    UniqueFd fd(::accept4(c->tcp.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    if (conns_.size() >= opt_.max_tcp_connections) continue;  // closed at once
    uint64_t token = new_token(kConn);
    Conn& conn = conns_[token];
    conn.container = base;
    conn.fd = std::move(fd);
    conn.events = EPOLLIN;
    c->conns.insert(token);
    watch(conn.fd.get(), token, EPOLLIN);
    set_timer(conn.deadline, token, Clock::now() + opt_.tcp_idle_timeout);
  }
}

void DnsServer::Impl::close_conn(uint64_t token) {
  auto it = conns_.find(token);
  if (it == conns_.end()) return;
  timers_.erase({it->second.deadline, token});
  if (Container* c = container(it->second.container)) c->conns.erase(token);
  conns_.erase(it);  // closing the fd removes it from epoll
}

void DnsServer::Impl::on_conn(uint64_t token, uint32_t events) {
  auto it = conns_.find(token);
  if (it == conns_.end()) return;
  Conn& conn = it->second;
  if (events & EPOLLERR) return close_conn(token);
  if ((events & EPOLLHUP) && !(events & EPOLLIN)) return close_conn(token);
  if (events & EPOLLIN) {
    for (;;) {
      ssize_t n = ::read(conn.fd.get(), buf_, sizeof(buf_));
      if (n > 0) {
        conn.in.insert(conn.in.end(), buf_, buf_ + n);
        if (conn.in.size() > 2 * 65537) break;  // a reader too far ahead: take what we have first
        continue;
      }
      if (n == 0) conn.eof = true;
      else if (errno == EINTR) continue;
      else if (errno != EAGAIN) return close_conn(token);
      break;
    }
    set_timer(conn.deadline, token, Clock::now() + opt_.tcp_idle_timeout);
  }
  serve_conn(token);
}

// Answers the complete queries buffered on a connection, one forward at a
// time, writes what it can, and sets the events it waits for.
void DnsServer::Impl::serve_conn(uint64_t token) {
  auto it = conns_.find(token);
  if (it == conns_.end()) return;
  Conn& conn = it->second;
  Container* c = container(conn.container);
  if (!c) return close_conn(token);
  in_serve_ = true;
  while (!conn.busy && conn.in.size() >= 2) {
    size_t len = (size_t{conn.in[0]} << 8) | conn.in[1];
    if (conn.in.size() < 2 + len) break;
    std::vector<uint8_t> q(conn.in.begin() + 2, conn.in.begin() + 2 + len);
    conn.in.erase(conn.in.begin(), conn.in.begin() + 2 + len);
    Decision d = decide(*c, q, true);
    if (d.kind == Decision::Kind::Reply) {
      dns_impl::append_framed(conn.out, d.reply);
    } else if (d.kind == Decision::Kind::Forward) {
      conn.busy = true;
      start_fwd(conn.container, *c, q, true, SockAddr{}, token);
      // start_fwd may have answered at once (SERVFAIL, busy again false).
    }
  }
  in_serve_ = false;
  Conn& cn = it->second;
  while (cn.out_off < cn.out.size()) {
    ssize_t n = ::send(cn.fd.get(), cn.out.data() + cn.out_off, cn.out.size() - cn.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      cn.out_off += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      break;
    } else {
      return close_conn(token);
    }
  }
  if (cn.out_off == cn.out.size()) {
    cn.out.clear();
    cn.out_off = 0;
  }
  bool pending_out = !cn.out.empty();
  if (cn.eof && !cn.busy && !pending_out) return close_conn(token);
  uint32_t want = (!cn.busy && !cn.eof && cn.in.size() <= 2 * 65537 ? uint32_t{EPOLLIN} : 0u) |
                  (pending_out ? uint32_t{EPOLLOUT} : 0u);
  if (want != cn.events) {
    cn.events = want;
    rewatch(cn.fd.get(), token, want);
  }
}

// Idle past the timeout: closed, unless a forward of its query is still in
// flight (then the forward's own timeout decides).
void DnsServer::Impl::expire_conn(uint64_t token) {
  auto it = conns_.find(token);
  if (it == conns_.end()) return;
  if (it->second.busy) {
    set_timer(it->second.deadline, token, Clock::now() + opt_.tcp_idle_timeout);
  } else {
    it->second.deadline = {};
    close_conn(token);
  }
}

}  // namespace berth::net
