// The embedded DNS server's insides (see dns.h), shared by its files and by
// nothing else:
//   dns_server.cc      the server thread: epoll loop, command queue, timers
//   dns_containers.cc  the containers served: listening sockets in their
//                      namespaces, add/remove
//   dns_query.cc       one query: answer it or forward it, and send replies
//   dns_tcp.cc         client TCP connections: accept, length framing, idle
//   dns_forward.cc     relaying to the upstream servers from the container's
//                      namespace, one server after the other
//   dns_address.cc     server addresses ("1.2.3.4:53", "[v6]:53")
//
// Threading: one server thread owns every socket, connection and forward; the
// public methods hand work to it through a command queue and an eventfd.
// add_container opens the listening sockets on a short-lived thread that
// setns()s into the container's namespace; sockets keep the namespace they
// were made in. Forward sockets are made by the server thread itself, which
// setns()s into the container's namespace around socket() and back (Docker
// dials its upstream connections from the sandbox the same way).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "net/dns.h"
#include "net/dns_message.h"

namespace berth::net::dns_impl {

using Clock = std::chrono::steady_clock;

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss); }
  int family() const { return ss.ss_family; }
};

// "1.2.3.4", "1.2.3.4:5353", "2001:db8::1", "[2001:db8::1]:53"; the port
// defaults to `default_port`.
Result<SockAddr> parse_addr(const std::string& text, uint16_t default_port);
Result<std::vector<SockAddr>> parse_upstreams(const std::vector<std::string>& list);
uint16_t port_of(const SockAddr& a);
void set_port(SockAddr& a, uint16_t port);

// A DNS message over TCP: its length (2 bytes, big endian), then the message.
void append_framed(std::vector<uint8_t>& out, std::span<const uint8_t> msg);

// epoll tokens: a counter in the high bits, the kind in the low 3.
enum Kind : uint64_t { kWake = 0, kUdp = 1, kListen = 2, kConn = 3, kFwd = 4 };
constexpr uint64_t kKindMask = 7;

}  // namespace berth::net::dns_impl

namespace berth::net {

class DnsServer::Impl {
  using Clock = dns_impl::Clock;
  using SockAddr = dns_impl::SockAddr;
  using Kind = dns_impl::Kind;
  using Decision = dns::Decision;

 public:
  Impl(Lookup lookup, std::vector<SockAddr> upstream, DnsOptions options, SockAddr listen, UniqueFd ep,
       UniqueFd wake, UniqueFd host_ns);
  ~Impl();
  void start();

  // dns_containers.cc
  Result<void> add(const std::string& id, const std::string& netns_path, const std::vector<std::string>& up);
  void remove(const std::string& id);
  std::optional<uint16_t> port(const std::string& id) const;

  Stats stats() const { return Stats{queries_.load(), local_.load(), forwarded_.load(), servfail_.load()}; }

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

  // dns_server.cc: the loop and its plumbing.
  void post(std::function<void()> f);
  uint64_t new_token(Kind k) { return (++counter_ << 3) | k; }
  void watch(int fd, uint64_t token, uint32_t events);
  void rewatch(int fd, uint64_t token, uint32_t events);
  void set_timer(Clock::time_point& slot, uint64_t token, Clock::time_point when);
  void run();
  void dispatch(uint64_t token, uint32_t events);
  void expire(uint64_t token);

  // dns_containers.cc
  void register_container(Container&& c);
  void unregister_container(const std::string& id);
  Container* container(uint64_t base);

  // dns_query.cc
  Decision decide(Container& c, std::span<const uint8_t> q, bool tcp);
  void on_udp(uint64_t base);
  void reply(uint64_t base, bool tcp, const SockAddr& client, uint64_t conn_token, std::span<const uint8_t> msg);

  // dns_tcp.cc
  void on_accept(uint64_t base);
  void close_conn(uint64_t token);
  void on_conn(uint64_t token, uint32_t events);
  void serve_conn(uint64_t token);
  void expire_conn(uint64_t token);

  // dns_forward.cc
  Result<UniqueFd> socket_in(const Container& c, int family, int type);
  void start_fwd(uint64_t base, Container& c, std::span<const uint8_t> q, bool tcp, const SockAddr& client,
                 uint64_t conn);
  void try_next(uint64_t token, bool advance);
  void on_fwd(uint64_t token, uint32_t events);
  void drop_fwd(uint64_t token);
  void finish_fwd(uint64_t token, std::vector<uint8_t> msg);
  void expire_fwd(uint64_t token);

  // LDNS_RCODE_SERVFAIL without pulling ldns into these files' namespace.
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

}  // namespace berth::net
