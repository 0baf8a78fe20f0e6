// network create|ls|inspect|rm|prune|connect|disconnect, as docker-cli 28
// (cli/command/network): the same request bodies, tables and exit codes.
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/command.h"
#include "cli/filters.h"
#include "cli/go_compat.h"
#include "cli/inspect.h"
#include "cli/network_opt.h"
#include "cli/port_spec.h"
#include "cli/resource_requests.h"
#include "cli/table.h"
#include "cli/units.h"

namespace berth::cli {

// Shared with volume_cmds.cc.
Result<int> inspect_paths(Cli& cli, const std::vector<std::string>& names, const std::string& prefix,
                          const std::string& query, const std::string& format);
std::string go_time_of(const std::string& rfc3339);

namespace {

struct Ip {
  int family = 0;
  unsigned char bytes[16] = {};
  size_t len() const { return family == AF_INET ? 4 : 16; }
};

std::optional<Ip> parse_ip(const std::string& s) {
  Ip ip;
  if (::inet_pton(AF_INET, s.c_str(), ip.bytes) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (::inet_pton(AF_INET6, s.c_str(), ip.bytes) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

struct Cidr {
  Ip ip;
  int prefix = 0;
};

Result<Cidr> parse_cidr(const std::string& s) {
  size_t slash = s.find('/');
  auto bad = fail(Errc::InvalidArgument, fmt::format("invalid CIDR address: {}", s));
  if (slash == std::string::npos) return bad;
  auto ip = parse_ip(s.substr(0, slash));
  auto bits = parse_int(s.substr(slash + 1));
  if (!ip || !bits || *bits < 0 || *bits > static_cast<int64_t>(ip->len() * 8)) return bad;
  return Cidr{*ip, static_cast<int>(*bits)};
}

bool contains(const Cidr& net, const Ip& ip) {
  // An IPv4 address matches an IPv4 net only (Go's IPNet.Contains also maps v4-in-v6).
  if (net.ip.family != ip.family) return false;
  for (int bit = 0; bit < net.prefix; ++bit) {
    int byte = bit / 8, mask = 0x80 >> (bit % 8);
    if ((net.ip.bytes[byte] & mask) != (ip.bytes[byte] & mask)) return false;
  }
  return true;
}

// docker-cli's subnetMatches(subnet, data).
Result<bool> subnet_matches(const std::string& subnet, const std::string& data) {
  auto net = parse_cidr(subnet);
  if (!net) return fail(Errc::InvalidArgument, "invalid subnet: " + net.error().message);
  std::optional<Ip> ip;
  if (data.find('/') != std::string::npos) {
    Cidr c = TRY(parse_cidr(data));
    ip = c.ip;
  } else {
    ip = parse_ip(data);
  }
  return ip && contains(*net, *ip);
}

}  // namespace

namespace {

// pflag's StringSlice: each occurrence may hold several comma-separated values.
Result<std::vector<std::string>> string_slice(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    if (v.empty()) continue;
    auto fields = TRY(csv_fields(v));
    out.insert(out.end(), fields.begin(), fields.end());
  }
  return out;
}

}  // namespace

Result<Json> build_network_create(const NetworkCreateOptions& in) {
  NetworkCreateOptions o = in;
  o.subnets = TRY(string_slice(in.subnets));
  o.ip_ranges = TRY(string_slice(in.ip_ranges));
  o.gateways = TRY(string_slice(in.gateways));
  if (o.subnets.size() < o.ip_ranges.size() || o.subnets.size() < o.gateways.size()) {
    return fail(Errc::InvalidArgument, "every ip-range or gateway must have a corresponding subnet");
  }
  struct Entry {
    std::string subnet, range, gateway;
    std::map<std::string, std::string> aux;
  };
  std::vector<Entry> entries;
  for (const auto& s : o.subnets) {
    for (const auto& e : entries) {
      bool a = TRY(subnet_matches(s, e.subnet)), b = TRY(subnet_matches(e.subnet, s));
      if (a || b) return fail(Errc::InvalidArgument, "multiple overlapping subnet configuration is not supported");
    }
    Entry e;
    e.subnet = s;
    entries.push_back(std::move(e));
  }
  auto place = [&](const std::string& what, const std::string& value, auto&& set) -> Result<void> {
    bool match = false;
    for (auto& e : entries) {
      if (!TRY(subnet_matches(e.subnet, value))) continue;
      TRYV(set(e));
      match = true;
    }
    if (!match) return fail(Errc::InvalidArgument, fmt::format("no matching subnet for {} {}", what, value));
    return {};
  };
  for (const auto& r : o.ip_ranges) {
    TRYV(place("range", r, [&](Entry& e) -> Result<void> {
      if (!e.range.empty()) {
        return fail(Errc::InvalidArgument,
                    fmt::format("cannot configure multiple ranges ({}, {}) on the same subnet ({})", r, e.range, e.subnet));
      }
      e.range = r;
      return {};
    }));
  }
  for (const auto& g : o.gateways) {
    TRYV(place("gateway", g, [&](Entry& e) -> Result<void> {
      if (!e.gateway.empty()) {
        return fail(Errc::InvalidArgument, fmt::format("cannot configure multiple gateways ({}, {}) for the same subnet ({})",
                                                       g, e.gateway, e.subnet));
      }
      e.gateway = g;
      return {};
    }));
  }
  for (const auto& a : o.aux_addresses) {
    size_t eq = a.find('=');
    std::string key = a.substr(0, eq), value = eq == std::string::npos ? "" : a.substr(eq + 1);
    TRYV(place("aux-address", value, [&](Entry& e) -> Result<void> {
      e.aux[key] = value;
      return {};
    }));
  }
  Json config = Json::array();
  for (const auto& e : entries) {
    Json c = {{"Subnet", e.subnet}};
    if (!e.range.empty()) c["IPRange"] = e.range;
    if (!e.gateway.empty()) c["Gateway"] = e.gateway;
    if (!e.aux.empty()) {
      Json aux = Json::object();
      for (const auto& [k, v] : e.aux) aux[k] = v;
      c["AuxiliaryAddresses"] = aux;
    }
    config.push_back(c);
  }
  Json body = Json::object();
  body["Driver"] = o.driver;
  body["Scope"] = o.scope;
  if (o.ipv6) body["EnableIPv6"] = *o.ipv6;
  body["IPAM"] = {{"Driver", o.ipam_driver}, {"Options", string_map(o.ipam_opts)}, {"Config", config}};
  body["Internal"] = o.internal;
  body["Attachable"] = o.attachable;
  body["Ingress"] = o.ingress;
  body["ConfigOnly"] = o.config_only;
  body["ConfigFrom"] = o.config_from.empty() ? Json(nullptr) : Json{{"Network", o.config_from}};
  body["Options"] = string_map(o.opts);
  body["Labels"] = string_map(o.labels);
  body["Name"] = o.name;
  body["CheckDuplicate"] = true;
  return body;
}

Result<Json> build_network_connect(const NetworkConnectOptions& in) {
  NetworkConnectOptions o = in;
  o.aliases = TRY(string_slice(in.aliases));
  o.driver_opts = TRY(string_slice(in.driver_opts));
  o.link_local_ips = TRY(string_slice(in.link_local_ips));
  Json driver_opts = Json::object();
  std::map<std::string, std::string> m;
  for (const auto& opt : o.driver_opts) {
    size_t eq = opt.find('=');
    std::string k = std::string(trim(opt.substr(0, eq)));
    if (eq == std::string::npos || k.empty()) {
      return fail(Errc::InvalidArgument, "invalid key/value pair format in driver options");
    }
    m[k] = std::string(trim(opt.substr(eq + 1)));
  }
  for (const auto& [k, v] : m) driver_opts[k] = v;
  Json ipam = Json::object();
  if (!o.ip.empty()) ipam["IPv4Address"] = o.ip;
  if (!o.ip6.empty()) ipam["IPv6Address"] = o.ip6;
  if (!o.link_local_ips.empty()) ipam["LinkLocalIPs"] = o.link_local_ips;
  Json links = o.links.empty() ? Json(nullptr) : Json(o.links);
  return Json{{"Container", o.container},
              {"EndpointConfig", endpoint_settings(ipam, links, Json(o.aliases.empty() ? Json::array() : Json(o.aliases)),
                                                   driver_opts)}};
}

namespace {

Json network_row(const Json& n, bool trunc) {
  Json row = Json::object();
  std::string id = n.value("Id", "");
  row["CreatedAt"] = go_time_of(n.value("Created", ""));
  row["Driver"] = n.value("Driver", "");
  row["ID"] = trunc ? short_id(id) : id;
  row["IPv4"] = n.value("EnableIPv4", false) ? "true" : "false";
  row["IPv6"] = n.value("EnableIPv6", false) ? "true" : "false";
  row["Internal"] = n.value("Internal", false) ? "true" : "false";
  std::vector<std::string> labels;
  const Json l = n.value("Labels", Json::object());
  if (l.is_object()) {
    for (auto it = l.begin(); it != l.end(); ++it) labels.push_back(it.key() + "=" + go_print(it.value()));
  }
  std::sort(labels.begin(), labels.end());
  row["Labels"] = join(labels, ",");
  row["Name"] = n.value("Name", "");
  row["Scope"] = n.value("Scope", "");
  return row;
}

}  // namespace

void add_network_commands(Invocation& inv, CLI::App* group) {
  Cli& cli = inv.cli;
  if (inv.wants(group, "create")) {
    struct O {
      std::vector<std::string> args;
      NetworkCreateOptions n;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "create", "[OPTIONS] NETWORK", "Create a network", &o->args, {1, 1},
                                [&cli, o]() -> Result<int> {
      o->n.name = o->args[0];
      Json body = TRY(build_network_create(o->n));
      api::Response r = TRY(cli.post("/networks/create", body));
      Json j = Json::parse(r.body, nullptr, false);
      if (j.is_object() && j.value("Warning", "") != "") errf("{}\n", j["Warning"].get<std::string>());
      outf("{}\n", j.is_object() ? j.value("Id", "") : "");
      return 0;
    });
    add_list(app, "--aux-address", o->n.aux_addresses, "Auxiliary IPv4 or IPv6 addresses used by Network driver", "map");
    add_bool(app, "--attachable", o->n.attachable, "Enable manual container attachment");
    add_string(app, "--config-from", o->n.config_from, "The network from which to copy the configuration");
    add_bool(app, "--config-only", o->n.config_only, "Create a configuration only network");
    add_string(app, "-d,--driver", o->n.driver, "Driver to manage the Network (default \"bridge\")");
    add_list(app, "--gateway", o->n.gateways, "IPv4 or IPv6 Gateway for the master subnet", "strings");
    add_bool(app, "--ingress", o->n.ingress, "Create swarm routing-mesh network");
    add_bool(app, "--internal", o->n.internal, "Restrict external access to the network");
    add_list(app, "--ip-range", o->n.ip_ranges, "Allocate container ip from a sub-range", "strings");
    add_string(app, "--ipam-driver", o->n.ipam_driver, "IP Address Management Driver (default \"default\")");
    add_list(app, "--ipam-opt", o->n.ipam_opts, "Set IPAM driver specific options", "map");
    app->add_flag_function("--ipv6", [o](int64_t count) { o->n.ipv6 = count > 0; }, "Enable or disable IPv6 networking");
    add_list(app, "--label", o->n.labels, "Set metadata on a network");
    add_list(app, "-o,--opt", o->n.opts, "Set driver specific options", "map");
    add_string(app, "--scope", o->n.scope, "Control the network's scope");
    add_list(app, "--subnet", o->n.subnets, "Subnet in CIDR format that represents a network segment", "strings");
  }
  for (const char* name : {"ls", "list"}) {
    if (!inv.wants(group, name)) continue;
    struct O {
      std::vector<std::string> filters;
      std::string format;
      bool quiet = false, no_trunc = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, name, "[OPTIONS]", "List networks", nullptr, {}, [&cli, o]() -> Result<int> {
      std::string q = "/networks";
      if (!o->filters.empty()) q += "?filters=" + url_encode(filters_json(o->filters));
      Json list = TRY(cli.get_json(q));
      std::vector<Json> nets;
      if (list.is_array()) nets.assign(list.begin(), list.end());
      std::stable_sort(nets.begin(), nets.end(), [](const Json& a, const Json& b) {
        return natural_less(a.value("Name", ""), b.value("Name", ""));
      });
      std::vector<Json> rows;
      for (const auto& n : nets) rows.push_back(network_row(n, !o->no_trunc));
      std::string format = o->format;
      // As docker-cli: -q only replaces the default table.
      if (o->quiet && (format.empty() || format == "table")) format = "{{.ID}}";
      Json header{{"CreatedAt", "CREATED AT"}, {"Driver", "DRIVER"}, {"ID", "NETWORK ID"}, {"IPv4", "IPV4"},
                  {"IPv6", "IPV6"},           {"Internal", "INTERNAL"}, {"Labels", "LABELS"}, {"Name", "NAME"},
                  {"Scope", "SCOPE"}};
      auto text = render_list(format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", header, rows);
      if (!text) return fail(Errc::InvalidArgument, "template parsing error: " + text.error().message);
      out(*text);
      return 0;
    });
    add_list(app, "-f,--filter", o->filters, "Provide filter values (e.g. \"driver=bridge\")", "filter");
    add_string(app, "--format", o->format,
               "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')");
    add_bool(app, "--no-trunc", o->no_trunc, "Do not truncate the output");
    add_bool(app, "-q,--quiet", o->quiet, "Only display network IDs");
  }
  if (inv.wants(group, "inspect")) {
    struct O {
      std::vector<std::string> args;
      std::string format;
      bool verbose = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "inspect", "[OPTIONS] NETWORK [NETWORK...]",
                                "Display detailed information on one or more networks", &o->args, {1},
                                [&cli, o] { return inspect_paths(cli, o->args, "/networks/", o->verbose ? "?verbose=true" : "", o->format); });
    add_string(app, "-f,--format", o->format, "Format output using a custom template");
    add_bool(app, "-v,--verbose", o->verbose, "Verbose output for diagnostics");
  }
  for (const char* name : {"rm", "remove"}) {
    if (!inv.wants(group, name)) continue;
    struct O {
      std::vector<std::string> args;
      bool force = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, name, "NETWORK [NETWORK...]", "Remove one or more networks", &o->args, {1},
                                [&cli, o]() -> Result<int> {
      int rc = 0;
      for (const auto& n : o->args) {
        api::Client* c = TRY(cli.client());
        // docker-cli looks the network up first (it refuses ingress networks without a prompt).
        api::Response got = TRY(c->request("GET", "/networks/" + url_encode(n)));
        if (got.status == 404 && o->force) continue;
        if (got.status >= 400) {
          err(daemon_error(got).str() + "\n");
          rc = 1;
          continue;
        }
        api::Response r = TRY(c->request("DELETE", "/networks/" + url_encode(n)));
        if (r.status == 404 && o->force) continue;
        if (r.status >= 400) {
          err(daemon_error(r).str() + "\n");
          rc = 1;
          continue;
        }
        outf("{}\n", n);
      }
      return rc;
    });
    add_bool(app, "-f,--force", o->force, "Do not error if the network does not exist");
  }
  if (inv.wants(group, "prune")) {
    struct O {
      std::vector<std::string> filters;
      bool force = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "prune", "[OPTIONS]", "Remove all unused networks", nullptr, {},
                                [&cli, o]() -> Result<int> {
      if (!o->force && !confirm_prompt("WARNING! This will remove all custom networks not used by at least one container.")) {
        return 0;
      }
      std::string q = "/networks/prune";
      if (!o->filters.empty()) q += "?filters=" + url_encode(filters_json(o->filters));
      api::Response r = TRY(cli.call("POST", q));
      Json j = Json::parse(r.body, nullptr, false);
      Json deleted = j.is_object() ? j.value("NetworksDeleted", Json::array()) : Json::array();
      if (deleted.is_array() && !deleted.empty()) {
        out("Deleted Networks:\n");
        for (const auto& d : deleted) outf("{}\n", d.is_string() ? d.get<std::string>() : d.dump());
        out("\n");
      }
      return 0;
    });
    add_list(app, "--filter", o->filters, "Provide filter values (e.g. \"until=<timestamp>\")", "filter");
    add_bool(app, "-f,--force", o->force, "Do not prompt for confirmation");
  }
  if (inv.wants(group, "connect")) {
    struct O {
      std::vector<std::string> args;
      NetworkConnectOptions n;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "connect", "[OPTIONS] NETWORK CONTAINER", "Connect a container to a network",
                                &o->args, {2, 2}, [&cli, o]() -> Result<int> {
      o->n.network = o->args[0];
      o->n.container = o->args[1];
      Json body = TRY(build_network_connect(o->n));
      TRYV(cli.post("/networks/" + url_encode(o->n.network) + "/connect", body));
      return 0;
    });
    add_list(app, "--alias", o->n.aliases, "Add network-scoped alias for the container", "strings");
    add_list(app, "--driver-opt", o->n.driver_opts, "driver options for the network", "strings");
    add_string(app, "--ip", o->n.ip, "IPv4 address (e.g., \"172.30.100.104\")");
    add_string(app, "--ip6", o->n.ip6, "IPv6 address (e.g., \"2001:db8::33\")");
    add_list(app, "--link", o->n.links, "Add link to another container");
    add_list(app, "--link-local-ip", o->n.link_local_ips, "Add a link-local address for the container", "strings");
  }
  if (inv.wants(group, "disconnect")) {
    struct O {
      std::vector<std::string> args;
      bool force = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "disconnect", "[OPTIONS] NETWORK CONTAINER",
                                "Disconnect a container from a network", &o->args, {2, 2}, [&cli, o]() -> Result<int> {
      Json body{{"Container", o->args[1]}, {"Force", o->force}};
      TRYV(cli.post("/networks/" + url_encode(o->args[0]) + "/disconnect", body));
      return 0;
    });
    add_bool(app, "-f,--force", o->force, "Force the container to disconnect from a network");
  }
}

// ---- shared with volume_cmds.cc ----

Result<int> inspect_paths(Cli& cli, const std::vector<std::string>& names, const std::string& prefix,
                          const std::string& query, const std::string& format) {
  api::Client* c = TRY(cli.client());
  return print_inspected(names, format, [&](const std::string& name) -> Result<std::string> {
    api::Response r = TRY(c->request("GET", prefix + url_encode(name) + query));
    if (r.status >= 400) return std::unexpected(daemon_error(r));
    return r.body;
  });
}


// Go's time.Time.String() of an RFC 3339 time ("2024-01-02 00:00:00.123456789 +0000 UTC").
std::string go_time_of(const std::string& rfc3339) {
  auto secs = parse_rfc3339(rfc3339);
  if (!secs) return "0001-01-01 00:00:00 +0000 UTC";
  std::string s = go_time_string(*secs);
  size_t dot = rfc3339.find('.');
  if (dot != std::string::npos && s.size() >= 19) {
    std::string frac;
    for (size_t i = dot + 1; i < rfc3339.size() && std::isdigit(static_cast<unsigned char>(rfc3339[i])); ++i) {
      frac += rfc3339[i];
    }
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    if (!frac.empty()) s.insert(19, "." + frac.substr(0, 9));
  }
  return s;
}

}  // namespace berth::cli
