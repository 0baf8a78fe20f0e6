// berth's embedded DNS server: containers on user-defined networks resolve
// each other by name, alias and short id at 127.0.0.11, as with Docker.
//
// One server per daemon, one thread. For every container the server binds
// 127.0.0.11:53 (UDP and TCP) inside the container's network namespace (all
// of 127/8 is local on `lo`, so no DNAT as Docker does), and serves all of
// them from one epoll loop. Names the Lookup knows get A records (TTL 600);
// AAAA of such names is an empty NOERROR; everything else is relayed to the
// upstream servers (UDP for UDP queries, TCP for TCP) from inside the
// container's namespace, as Docker does, so the upstream sees the container's
// own routes and NAT. No upstream answer: SERVFAIL. Packets are parsed and
// built with ldns (see dns_message.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::net {

struct DnsOptions {
  std::string listen_address = "127.0.0.11";
  // 0: an ephemeral port, the same for UDP and TCP (tests that cannot bind 53).
  uint16_t port = 53;
  // Per upstream server tried, as Docker's extIOTimeout.
  std::chrono::milliseconds forward_timeout{4000};
  // Forwards in flight over all containers; beyond it: SERVFAIL at once.
  size_t max_forwards = 1024;
  // Per container, as Docker's maxConcurrent: one container cannot starve the rest.
  size_t max_forwards_per_container = 100;
  // Open client TCP connections over all containers; beyond it the new one is closed.
  size_t max_tcp_connections = 512;
  std::chrono::milliseconds tcp_idle_timeout{10000};
};

class DnsServer {
 public:
  // qname (lower case, no trailing dot) -> IPv4 addresses for the asking
  // container (names on its networks only); nullopt: not ours -> forward.
  // Called on the server's thread: keep it quick, never block on it, and do
  // not call back into the DnsServer from it.
  using Lookup = std::function<std::optional<std::vector<std::string>>(const std::string& container_id,
                                                                       const std::string& qname)>;

  struct Stats {
    uint64_t queries = 0;    // parsed or not, UDP and TCP
    uint64_t local = 0;      // answered from Lookup
    uint64_t forwarded = 0;  // relayed to an upstream
    uint64_t servfail = 0;   // no upstream answered (or none configured)
  };

  // `upstream`: "1.2.3.4", "1.2.3.4:5353", "2001:db8::1", "[2001:db8::1]:53".
  static Result<std::unique_ptr<DnsServer>> create(Lookup lookup, std::vector<std::string> upstream,
                                                   DnsOptions options = {});
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Opens the sockets inside the namespace bind-mounted at netns_path (a
  // short-lived thread setns()s there) and hands them to the server's thread.
  // Queries that arrive before the hand-over wait in the socket buffers.
  // netns_path "": the server's own namespace (tests). `upstream` non-empty
  // replaces the server's upstream servers for this container (--dns).
  // A container added twice without remove: AlreadyExists.
  Result<void> add_container(const std::string& container_id, const std::string& netns_path,
                             const std::vector<std::string>& upstream = {});
  // Closes the container's sockets, its TCP connections and its forwards in
  // flight; returns once they are closed. Unknown ids are ignored.
  void remove_container(const std::string& container_id);

  // The port a container's server listens on (options.port unless 0).
  std::optional<uint16_t> port(const std::string& container_id) const;
  Stats stats() const;

  class Impl;

 private:
  explicit DnsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The upstream servers of a resolv.conf text: its nameserver lines, skipping
// loopback ones (127.0.0.0/8, ::1), which mean nothing in a container's
// namespace. As Docker, the caller falls back to kDefaultUpstreams when none is
// left (and on a systemd-resolved host reads /run/systemd/resolve/resolv.conf).
std::vector<std::string> upstreams_from_resolv_conf(std::string_view text);
inline const std::vector<std::string> kDefaultUpstreams = {"8.8.8.8", "8.8.4.4"};

// The resolv.conf of a container with the embedded DNS server, as Docker
// writes it: "nameserver 127.0.0.11", the host's search domains (or
// dns_search if not empty), the host's options (or dns_options if not empty)
// plus "ndots:0" unless an ndots option is already there.
std::string container_resolv_conf(std::string_view host_text, const std::vector<std::string>& dns_search = {},
                                  const std::vector<std::string>& dns_options = {});

}  // namespace berth::net
