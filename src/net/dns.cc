// The embedded DNS server's sockets and event loop (see dns.h).
//
// Threading: one server thread owns every socket, connection and forward; the
// public methods hand work to it through a command queue and an eventfd.
// add_container opens the listening sockets on a short-lived thread that
// setns()s into the container's namespace; sockets keep the namespace they
// were made in. Forward sockets are made by the server thread itself, which
// setns()s into the container's namespace around socket() and back (Docker
// dials its upstream connections from the sandbox the same way).
#include "net/dns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "base/log.h"
#include "base/unique_fd.h"
#include "net/dns_message.h"

namespace berth::net {
namespace {

using Clock = std::chrono::steady_clock;

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss); }
  int family() const { return ss.ss_family; }
};

Result<SockAddr> parse_addr(const std::string& text, uint16_t default_port) {
  std::string host = text;
  uint16_t port = default_port;
  auto parse_port = [&](const std::string& p) -> bool {
    char* end = nullptr;
    unsigned long v = std::strtoul(p.c_str(), &end, 10);
    if (p.empty() || *end != '\0' || v == 0 || v > 65535) return false;
    port = static_cast<uint16_t>(v);
    return true;
  };
  if (!text.empty() && text.front() == '[') {  // [v6]:port
    size_t close = text.find(']');
    if (close == std::string::npos) return fail(Errc::InvalidArgument, "bad DNS server address " + text);
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':' || !parse_port(text.substr(close + 2)))
        return fail(Errc::InvalidArgument, "bad DNS server address " + text);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // v4:port
    size_t colon = text.find(':');
    host = text.substr(0, colon);
    if (!parse_port(text.substr(colon + 1))) return fail(Errc::InvalidArgument, "bad DNS server address " + text);
  }
  SockAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.len = sizeof(sockaddr_in6);
  } else {
    return fail(Errc::InvalidArgument, "bad DNS server address " + text);
  }
  return a;
}

Result<std::vector<SockAddr>> parse_upstreams(const std::vector<std::string>& list) {
  std::vector<SockAddr> out;
  for (const std::string& s : list) out.push_back(TRY(parse_addr(s, 53)));
  return out;
}

uint16_t port_of(const SockAddr& a) {
  return a.family() == AF_INET ? ntohs(reinterpret_cast<const sockaddr_in*>(&a.ss)->sin_port)
                               : ntohs(reinterpret_cast<const sockaddr_in6*>(&a.ss)->sin6_port);
}
void set_port(SockAddr& a, uint16_t port) {
  if (a.family() == AF_INET)
    reinterpret_cast<sockaddr_in*>(&a.ss)->sin_port = htons(port);
  else
    reinterpret_cast<sockaddr_in6*>(&a.ss)->sin6_port = htons(port);
}

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
  l.port = port_of(bound);
  set_port(addr, l.port);
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
    if (l || port_of(addr) != 0 || l.error().sys_errno != EADDRINUSE || attempt == 8) return l;
  }
}

// epoll tokens: a counter in the high bits, the kind in the low 3.
enum Kind : uint64_t { kWake = 0, kUdp = 1, kListen = 2, kConn = 3, kFwd = 4 };
constexpr uint64_t kKindMask = 7;

}  // namespace

class DnsServer::Impl {
  using Decision = dns::Decision;

 public:
  Impl(Lookup lookup, std::vector<SockAddr> upstream, DnsOptions options, SockAddr listen, UniqueFd ep,
       UniqueFd wake, UniqueFd host_ns)
      : lookup_(std::move(lookup)),
        upstream_(std::move(upstream)),
        opt_(std::move(options)),
        listen_(listen),
        ep_(std::move(ep)),
        wake_(std::move(wake)),
        host_ns_(std::move(host_ns)) {}

  void start() {
    thread_ = std::thread([this] { run(); });
    thread_id_ = thread_.get_id();
  }

  ~Impl() {
    post([this] { stop_ = true; });
    if (thread_.joinable()) thread_.join();
  }

  Result<void> add(const std::string& id, const std::string& netns_path, const std::vector<std::string>& up) {
    if (id.empty()) return fail(Errc::InvalidArgument, "DNS: empty container id");
    auto c = std::make_unique<Container>();
    c->id = id;
    c->upstream = up.empty() ? upstream_ : TRY(parse_upstreams(up));
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

  void remove(const std::string& id) {
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

  std::optional<uint16_t> port(const std::string& id) const {
    std::lock_guard lock(ports_mu_);
    auto it = ports_.find(id);
    if (it == ports_.end()) return std::nullopt;
    return it->second;
  }

  Stats stats() const {
    return Stats{queries_.load(), local_.load(), forwarded_.load(), servfail_.load()};
  }

 private:
  struct Container {
    std::string id;
    UniqueFd netns;  // invalid: the server's own namespace
    UniqueFd udp, tcp;
    std::vector<SockAddr> upstream;
    std::unordered_set<uint64_t> conns, fwds;
  };
  struct Conn {  // a client's TCP connection
    uint64_t container = 0;
    UniqueFd fd;
    std::vector<uint8_t> in, out;
    size_t out_off = 0;
    bool busy = false;  // a forward of its query is in flight
    bool eof = false;
    uint32_t events = 0;
    Clock::time_point deadline;
  };
  struct Fwd {
    uint64_t container = 0;
    bool tcp = false;
    SockAddr client;     // UDP
    uint64_t conn = 0;   // TCP
    uint16_t client_id = 0;
    std::vector<uint8_t> query;  // as sent upstream (our id)
    size_t next = 0;             // index of the upstream being tried
    UniqueFd fd;
    bool connected = false;
    std::vector<uint8_t> out, in;
    size_t out_off = 0;
    Clock::time_point deadline;
  };

  void post(std::function<void()> f) {
    {
      std::lock_guard lock(cmd_mu_);
      cmds_.push_back(std::move(f));
    }
    uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof(one));
  }

  uint64_t new_token(Kind k) { return (++counter_ << 3) | k; }

  void watch(int fd, uint64_t token, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    if (::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      log::error("DNS: epoll_ctl add: {}", std::strerror(errno));
  }
  void rewatch(int fd, uint64_t token, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    ::epoll_ctl(ep_.get(), EPOLL_CTL_MOD, fd, &ev);
  }

  void set_timer(Clock::time_point& slot, uint64_t token, Clock::time_point when) {
    timers_.erase({slot, token});
    slot = when;
    timers_.insert({when, token});
  }

  // ---- loop ----

  void run() {
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

  void dispatch(uint64_t token, uint32_t events) {
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

  void expire(uint64_t token) {
    if ((token & kKindMask) == kFwd) {
      auto it = fwds_.find(token);
      if (it == fwds_.end()) return;
      it->second.deadline = {};
      try_next(token, true);
    } else if ((token & kKindMask) == kConn) {
      auto it = conns_.find(token);
      if (it == conns_.end()) return;
      if (it->second.busy) {
        set_timer(it->second.deadline, token, Clock::now() + opt_.tcp_idle_timeout);
      } else {
        it->second.deadline = {};
        close_conn(token);
      }
    }
  }

  // ---- containers ----

  void register_container(Container&& c) {
    uint64_t base = new_token(kWake);
    auto [it, inserted] = containers_.emplace(base, std::make_unique<Container>(std::move(c)));
    Container& ct = *it->second;
    ids_[ct.id] = base;
    watch(ct.udp.get(), base | kUdp, EPOLLIN);
    watch(ct.tcp.get(), base | kListen, EPOLLIN);
  }

  void unregister_container(const std::string& id) {
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

  Container* container(uint64_t base) {
    auto it = containers_.find(base);
    return it == containers_.end() ? nullptr : it->second.get();
  }

  // ---- queries ----

  dns::Decision decide(Container& c, std::span<const uint8_t> q, bool tcp) {
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

  void on_udp(uint64_t base) {
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

  // ---- client TCP connections ----

  void on_accept(uint64_t base) {
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

  void close_conn(uint64_t token) {
    auto it = conns_.find(token);
    if (it == conns_.end()) return;
    timers_.erase({it->second.deadline, token});
    if (Container* c = container(it->second.container)) c->conns.erase(token);
    conns_.erase(it);  // closing the fd removes it from epoll
  }

  void on_conn(uint64_t token, uint32_t events) {
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
  void serve_conn(uint64_t token) {
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
        queue_framed(conn, d.reply);
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

  static void queue_framed(Conn& conn, std::span<const uint8_t> msg) {
    conn.out.push_back(static_cast<uint8_t>(msg.size() >> 8));
    conn.out.push_back(static_cast<uint8_t>(msg.size() & 0xff));
    conn.out.insert(conn.out.end(), msg.begin(), msg.end());
  }

  // ---- forwards ----

  // socket() in the container's namespace: the server thread steps in and out.
  Result<UniqueFd> socket_in(const Container& c, int family, int type) {
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

  void start_fwd(uint64_t base, Container& c, std::span<const uint8_t> q, bool tcp, const SockAddr& client,
                 uint64_t conn) {
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
  void try_next(uint64_t token, bool advance) {
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
        queue_framed_raw(f.out, f.query);
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

  static void queue_framed_raw(std::vector<uint8_t>& out, const std::vector<uint8_t>& msg) {
    out.push_back(static_cast<uint8_t>(msg.size() >> 8));
    out.push_back(static_cast<uint8_t>(msg.size() & 0xff));
    out.insert(out.end(), msg.begin(), msg.end());
  }

  static std::vector<uint8_t> restore_id(std::vector<uint8_t> msg, uint16_t id) {
    if (msg.size() >= 2) {
      msg[0] = static_cast<uint8_t>(id >> 8);
      msg[1] = static_cast<uint8_t>(id & 0xff);
    }
    return msg;
  }

  void on_fwd(uint64_t token, uint32_t events) {
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

  void reply(uint64_t base, bool tcp, const SockAddr& client, uint64_t conn_token, std::span<const uint8_t> msg) {
    if (msg.empty()) return;
    if (!tcp) {
      if (Container* c = container(base))
        ::sendto(c->udp.get(), msg.data(), msg.size(), MSG_DONTWAIT, client.sa(), client.len);
      return;
    }
    auto it = conns_.find(conn_token);
    if (it == conns_.end()) return;
    queue_framed(it->second, msg);
    it->second.busy = false;
  }

  void drop_fwd(uint64_t token) {
    auto it = fwds_.find(token);
    if (it == fwds_.end()) return;
    timers_.erase({it->second.deadline, token});
    if (Container* c = container(it->second.container)) c->fwds.erase(token);
    fwds_.erase(it);
  }

  void finish_fwd(uint64_t token, std::vector<uint8_t> msg) {
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

  // LDNS_RCODE_SERVFAIL without pulling ldns into this file's namespace.
  static constexpr uint8_t kServfail = 2;

  Lookup lookup_;
  std::vector<SockAddr> upstream_;
  DnsOptions opt_;
  SockAddr listen_;
  UniqueFd ep_, wake_, host_ns_;
  std::thread thread_;
  std::thread::id thread_id_;

  std::mutex cmd_mu_;
  std::deque<std::function<void()>> cmds_;
  mutable std::mutex ports_mu_;
  std::unordered_map<std::string, uint16_t> ports_;

  // Server thread only.
  bool stop_ = false;
  bool in_serve_ = false;
  uint64_t counter_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Container>> containers_;
  std::unordered_map<std::string, uint64_t> ids_;
  std::unordered_map<uint64_t, Conn> conns_;
  std::unordered_map<uint64_t, Fwd> fwds_;
  std::set<std::pair<Clock::time_point, uint64_t>> timers_;
  uint8_t buf_[65536];

  std::atomic<uint64_t> queries_{0}, local_{0}, forwarded_{0}, servfail_{0};
};

Result<std::unique_ptr<DnsServer>> DnsServer::create(Lookup lookup, std::vector<std::string> upstream,
                                                     DnsOptions options) {
  auto ups = TRY(parse_upstreams(upstream));
  SockAddr listen = TRY_CTX(parse_addr(options.listen_address, options.port), "DNS listen address");
  set_port(listen, options.port);
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
