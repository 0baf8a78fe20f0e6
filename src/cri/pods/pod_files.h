// The /etc files a pod's containers share (bind-mounted from the pod's
// directory): hostname, hosts and resolv.conf from the sandbox config, as
// containerd writes them for a sandbox.
#pragma once

#include <string>

#include "base/error.h"
#include "runtime/v1/api.pb.h"

namespace berth::cri {

// resolv.conf: the DNS config's servers, searches and options; the host's
// file when the config has none (host_resolv: its text).
std::string pod_resolv_conf(const runtime::v1::DNSConfig& dns, const std::string& host_resolv);
// hosts: localhost entries and the pod's hostname (containerd's default file);
// the host's file for a host-network pod (host_hosts: its text).
std::string pod_hosts(bool host_network, const std::string& host_hosts);
// InvalidArgument when the hostname is not one a UTS namespace can take.
Result<void> check_hostname(const std::string& hostname);

}  // namespace berth::cri
