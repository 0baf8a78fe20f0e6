// Ports as docker-cli 28 reads and prints them: `-p/--publish` and
// `--expose` (github.com/docker/go-connections/nat ParsePortSpec and
// docker-cli's opts.go), the `port` command's lines (cli/command/container/
// port.go) and the PORTS column of `ps` (formatter.DisplayablePorts).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cli/template.h"

namespace berth::cli {

struct PortBinding {
  std::string host_ip, host_port;
};

// "80/tcp" -> exposed; "80/tcp" -> bindings, in flag order. std::map keeps
// the keys in Go's sorted map order for the JSON.
struct PortSpecs {
  std::map<std::string, bool> exposed;
  std::map<std::string, std::vector<PortBinding>> bindings;
};

// One -p value: "[ip:][hostPort:]containerPort[/proto]", ranges "8000-8002",
// IPv6 "[::1]:80:80", or the long form "target=80,published=8080,protocol=udp".
// Errors carry docker's wording ("invalid containerPort: abc").
Result<void> add_publish_spec(const std::string& spec, PortSpecs& into);
// One --expose value: "80", "80/udp", "7000-7010[/proto]".
Result<void> add_expose_spec(const std::string& spec, PortSpecs& into);

// Go's strconv.ParseUint(s, 10, bits) with its error text
// ("strconv.ParseUint: parsing \"x\": invalid syntax").
Result<uint64_t> go_parse_uint(std::string_view s, int bits);

// Go's net.JoinHostPort: brackets around hosts that contain ':'.
std::string join_host_port(const std::string& host, const std::string& port);

// fvbommel/sortorder.NaturalLess: digit runs compare as numbers.
bool natural_less(std::string_view a, std::string_view b);

// `port CONTAINER [PORT[/PROTO]]` from inspect's NetworkSettings.Ports
// ({"80/tcp": [{"HostIp","HostPort"}], "443/tcp": null}); the lines come
// naturally sorted, as docker prints them. `filter` empty: "80/tcp -> 0.0.0.0:8080"
// for all; else only "0.0.0.0:8080" for that port (default proto tcp),
// failing with docker's "No public port" / "invalid port" errors.
Result<std::vector<std::string>> port_lines(const Json& ports, const std::string& filter,
                                            const std::string& container);

// The PORTS cell of `ps` for the list's Ports array
// ([{"IP","PrivatePort","PublicPort","Type"}]): "0.0.0.0:8080->80/tcp, 443/tcp",
// consecutive ports grouped into ranges as docker does.
std::string displayable_ports(const Json& ports);

}  // namespace berth::cli
