// A TCP connection to 127.0.0.1:port inside a network namespace (the CRI's
// port-forward): a short-lived thread joins the namespace, connects, and the
// socket keeps working outside it (a socket belongs to the namespace it was
// made in). netns_path "" connects in berthd's own namespace (host network).
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::cri {

Result<UniqueFd> connect_in_netns(const std::string& netns_path, uint16_t port);
// A TCP connection from berthd's namespace to ipv4:port (a VM pod's address).
Result<UniqueFd> connect_tcp(const std::string& ipv4, uint16_t port);

}  // namespace berth::cri
