// One --network value of run/create (docker-cli's NetworkAttachmentOpts:
// "NAME" or "name=N,alias=A,ip=...,mac-address=...,driver-opt=k=v") and the EndpointSettings
// object docker-cli sends for it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "cli/template.h"

namespace berth::cli {

struct NetworkAttachment {
  std::string target;
  std::vector<std::string> aliases, links;
  std::string ipv4, ipv6;
  std::string mac_address;
  std::vector<std::pair<std::string, std::string>> driver_opts;
};
Result<NetworkAttachment> parse_network_opt(const std::string& value);
// "default", "bridge", "host", "none" and "container:..." are not user-defined.
bool user_defined_network(const std::string& mode);
// An EndpointSettings object with every field docker-cli sends.
Json endpoint_settings(Json ipam, Json links, Json aliases, Json driver_opts);

}  // namespace berth::cli
