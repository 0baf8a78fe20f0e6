// network create / connect and volume create: the request bodies docker-cli 28
// sends for the same flags. Built beside their commands (network_cmds.cc,
// volume_cmds.cc); declared here for the tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/template.h"

namespace berth::cli {

struct NetworkCreateOptions {
  std::string name, driver = "bridge", scope, ipam_driver = "default", config_from;
  std::optional<bool> ipv6;
  bool internal = false, attachable = false, ingress = false, config_only = false;
  std::vector<std::string> subnets, ip_ranges, gateways, aux_addresses, ipam_opts, opts, labels;
};
Result<Json> build_network_create(const NetworkCreateOptions& o);

struct NetworkConnectOptions {
  std::string network, container, ip, ip6;
  std::vector<std::string> aliases, links, link_local_ips, driver_opts;
};
Result<Json> build_network_connect(const NetworkConnectOptions& o);

struct VolumeCreateOptions {
  std::string name, driver = "local";
  std::vector<std::string> opts, labels;
};
Json build_volume_create(const VolumeCreateOptions& o);

}  // namespace berth::cli
