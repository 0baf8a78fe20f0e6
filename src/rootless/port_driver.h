// Published ports of a rootless berthd (the "builtin" port driver, as
// RootlessKit's): berthd's network namespace cannot open sockets on the host,
// so the outer berthd process, still in the host's namespaces, opens the
// listening socket and passes it over a socket pair; berthd accepts on it and
// connects each client to the published port inside its own namespace, where
// its nftables DNAT takes the connection to the container (as for the root
// daemon). Clients show up in the container with the bridge's gateway address.
//
// Wire format (SOCK_SEQPACKET, one request, one reply):
//   request  "tcp <ipv4-or-ipv6> <port>"
//   reply    "OK" carrying the listening fd, or "ERR <errno> <text>"
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "net/ports.h"

namespace berth::rootless {

// The outer process's side: answers one request read from `sock`. Returns
// false when the peer is gone.
bool serve_port_request(int sock);

// Parses a request; exposed for tests.
struct PortRequest {
  std::string ip;
  uint16_t port = 0;
};
Result<PortRequest> parse_port_request(std::string_view text);

// Opens the listening socket a request names (SO_REUSEADDR, as any server).
Result<UniqueFd> listen_on_host(const PortRequest& r);

// berthd's side.
class PortClient {
 public:
  explicit PortClient(UniqueFd sock) : sock_(std::move(sock)) {}
  // A listening socket on the host for the binding (TCP only).
  Result<UniqueFd> listen(const net::PortBinding& b);

 private:
  std::mutex mu_;
  UniqueFd sock_;
};

// Accepts on a host listener and splices every connection to `target_ip`:port
// in this network namespace, until destroyed (connections in progress go on).
class Forwarder {
 public:
  static Result<std::shared_ptr<Forwarder>> start(UniqueFd listener, std::string target_ip, uint16_t port);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

 private:
  Forwarder() = default;
  struct State;
  std::shared_ptr<State> state_;
};

// Installs net::set_host_port_exporter with a PortClient over `sock`.
void install_port_exporter(UniqueFd sock);

}  // namespace berth::rootless
