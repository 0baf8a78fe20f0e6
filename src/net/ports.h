// Published ports: Docker's `-p`/`-P` forms, HostConfig.PortBindings JSON, and
// host port reservation.
//
// Reservation (decided as Docker does with --userland-proxy=false, where the
// daemon binds the host port itself): reserve_ports() bind()s one socket per
// binding on the host IP (TCP or UDP, no SO_REUSEADDR, never listen()) and the
// returned PortReservation keeps those sockets open for as long as the
// container's rules exist. So:
//   - a port another program uses is refused with Docker's message
//     "Bind for 0.0.0.0:8080 failed: port is already allocated" (Errc::Conflict;
//     Docker answers it with HTTP 500 under "driver failed programming external
//     connectivity on endpoint ...");
//   - no program can take the port afterwards and silently lose its traffic to
//     the DNAT rule;
//   - two berth containers cannot get the same port (the kernel says EADDRINUSE).
// The sockets never listen: a connection that escapes the DNAT rule is reset,
// not queued. A restarted berthd loses the sockets of running containers and
// re-reserves their ports when it restores them (best effort: a port taken in
// between stays published by the rules, as with Docker's live restore).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::net {

enum class Proto : uint8_t { Tcp, Udp };
std::string_view proto_name(Proto proto);  // "tcp" | "udp"

// Docker's range for ports it picks (moby portallocator, 49153-65535).
inline constexpr uint16_t kDynamicPortFirst = 49153;
inline constexpr uint16_t kDynamicPortLast = 65535;

// One published port. host_port == 0: any free port in Docker's range;
// host_port..host_port_end (end > host_port): the first free port of that range;
// otherwise exactly host_port. host_ip "" is every address (Docker's 0.0.0.0).
struct PortBinding {
  std::string host_ip;
  uint16_t host_port = 0;
  uint16_t host_port_end = 0;
  uint16_t container_port = 0;
  Proto proto = Proto::Tcp;

  bool operator==(const PortBinding&) const = default;
  // "0.0.0.0:8080" (the host side as Docker prints it in errors).
  std::string host_str() const;
};

// `-p [IP:][HOSTPORT[-END]:]CONTAINERPORT[-END][/tcp|udp]`. A container range
// gives one binding per port: with a host range of the same length they pair
// up, without a host port each gets a dynamic one. A host range with a single
// container port picks one free port of the range. IPv4 only ("[::1]:..." and
// sctp are Errc::Unsupported); other malformed specs are Errc::InvalidArgument.
Result<std::vector<PortBinding>> parse_publish(std::string_view spec);
// Several -p flags, in order.
Result<std::vector<PortBinding>> parse_publish(const std::vector<std::string>& specs);

// "80/tcp", "53/udp", "80" (tcp) -> port + proto: the keys of ExposedPorts and
// PortBindings.
Result<std::pair<uint16_t, Proto>> parse_port_key(std::string_view key);
std::string port_key(uint16_t port, Proto proto);  // "80/tcp"

// One entry of HostConfig.PortBindings: the port key ("80/tcp"), HostIp and
// HostPort ("", "8080" or "8000-8010").
Result<PortBinding> parse_port_binding(std::string_view key, std::string_view host_ip, std::string_view host_port);
// HostConfig.PortBindings: {"80/tcp":[{"HostIp":"","HostPort":"8080"}]}.
// HostPort may be "", "8080" or "8000-8010"; a null list is no binding.
Result<std::vector<PortBinding>> port_bindings_from_json(const nlohmann::json& j);
// The same form; for resolved bindings this is also NetworkSettings.Ports'
// value per port (HostIp "" is written "0.0.0.0" when `docker_ips`, as
// `docker inspect` shows the ports of a running container).
nlohmann::json port_bindings_to_json(const std::vector<PortBinding>& bindings,
                                     bool docker_ips = false);

// `-P`: every ExposedPorts key ({"80/tcp":{}}) not already in `bindings` gets a
// dynamic host port on every address. Returns bindings + the new ones.
Result<std::vector<PortBinding>> publish_all(std::vector<PortBinding> bindings,
                                             const nlohmann::json& exposed_ports);
Result<std::vector<PortBinding>> publish_all(std::vector<PortBinding> bindings, const std::set<std::string>& exposed);

// Host ports held for one container (see the header comment). Move-only;
// dropping it releases the ports.
class PortReservation {
 public:
  PortReservation() = default;
  PortReservation(PortReservation&&) noexcept = default;
  PortReservation& operator=(PortReservation&&) noexcept = default;

  // The resolved bindings: host_port set, host_port_end == host_port.
  const std::vector<PortBinding>& bindings() const { return bindings_; }
  bool empty() const { return bindings_.empty(); }
  void release() { exports_.clear(); fds_.clear(); bindings_.clear(); }

 private:
  friend Result<PortReservation> reserve_ports(const std::vector<PortBinding>& requested);
  std::vector<PortBinding> bindings_;
  std::vector<UniqueFd> fds_;
  std::vector<std::shared_ptr<void>> exports_;  // the host's side (rootless), see below
};

// A rootless daemon binds ports in its own network namespace; the host's side
// of each binding comes from this hook (set once at start-up, before any
// reservation). It returns a handle that forwards the host port until it is
// destroyed, or an error whose sys_errno is EADDRINUSE when the host port is
// taken. Unset (the root daemon): ports are the host's already.
using HostPortExporter = std::function<Result<std::shared_ptr<void>>(const PortBinding& resolved)>;
void set_host_port_exporter(HostPortExporter exporter);

// Resolves and reserves every binding, or none: the first one that cannot be
// had fails the whole call with Docker's message and the others are released.
Result<PortReservation> reserve_ports(const std::vector<PortBinding>& requested);

}  // namespace berth::net
