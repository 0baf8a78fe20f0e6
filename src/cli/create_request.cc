// run/create flags -> the body of POST /containers/create, as docker-cli 28
// builds it (cli/command/container/opts.go), with the flag values that need
// parsing on the way (ulimits, restart policy, security options, env files).
#include <algorithm>
#include <cctype>
#include <map>
#include <regex>

#include <fmt/format.h>

#include "base/go_time.h"
#include "base/mac.h"
#include "base/strings.h"
#include "cli/cli.h"
#include "cli/go_compat.h"
#include "cli/mount_opt.h"
#include "cli/network_opt.h"
#include "cli/port_spec.h"
#include "cli/run_options.h"
#include "cli/units.h"

namespace berth::cli {

namespace {

// docker-cli's applyContainerOptions + parseNetworkAttachmentOpt: the
// endpoint for one network, or null when it has nothing to say.
Result<Json> attachment_endpoint(NetworkAttachment n, const RunOptions& o, bool first) {
  if (first) {
    if (!n.aliases.empty() && !o.network_aliases.empty()) {
      return fail(Errc::InvalidArgument, "conflicting options: cannot specify both --network-alias and per-network alias");
    }
    if (!n.ipv4.empty() && !o.ip.empty()) {
      return fail(Errc::InvalidArgument, "conflicting options: cannot specify both --ip and per-network IPv4 address");
    }
    if (!n.ipv6.empty() && !o.ip6.empty()) {
      return fail(Errc::InvalidArgument, "conflicting options: cannot specify both --ip6 and per-network IPv6 address");
    }
    if (!n.mac_address.empty() && !o.mac_address.empty()) {
      return fail(Errc::InvalidArgument,
                  "conflicting options: cannot specify both --mac-address and per-network MAC address");
    }
    if (!o.mac_address.empty()) n.mac_address = o.mac_address;
    // As docker-cli 28: --link goes to HostConfig.Links, and to the first
    // network's endpoint when that network is user-defined.
    if (user_defined_network(n.target)) n.links.insert(n.links.end(), o.links.begin(), o.links.end());
    if (!o.network_aliases.empty()) n.aliases = o.network_aliases;
    if (!o.ip.empty()) n.ipv4 = o.ip;
    if (!o.ip6.empty()) n.ipv6 = o.ip6;
  }
  if (trim(n.target).empty()) return fail(Errc::InvalidArgument, "no name set for network");
  if (!user_defined_network(n.target) && !n.aliases.empty()) {
    return fail(Errc::InvalidArgument, "network-scoped aliases are only supported for user-defined networks");
  }
  Json ipam = nullptr;
  if (!n.ipv4.empty() || !n.ipv6.empty()) {
    ipam = Json::object();
    if (!n.ipv4.empty()) ipam["IPv4Address"] = n.ipv4;
    if (!n.ipv6.empty()) ipam["IPv6Address"] = n.ipv6;
  }
  Json driver_opts = nullptr;
  if (!n.driver_opts.empty()) {
    std::map<std::string, std::string> m(n.driver_opts.begin(), n.driver_opts.end());
    driver_opts = Json::object();
    for (const auto& [k, v] : m) driver_opts[k] = v;
  }
  if (!n.mac_address.empty() && !parse_mac(n.mac_address))
    return fail(Errc::InvalidArgument, fmt::format("{} is not a valid mac address", n.mac_address));
  Json ep = endpoint_settings(ipam, n.links.empty() ? Json(nullptr) : Json(n.links),
                              n.aliases.empty() ? Json(nullptr) : Json(n.aliases), driver_opts);
  ep["MacAddress"] = n.mac_address;
  return ep;
}

bool empty_endpoint(const Json& ep) {
  return ep["IPAMConfig"].is_null() && ep["Aliases"].is_null() && ep["DriverOpts"].is_null() && ep["Links"].is_null() &&
         ep["MacAddress"] == "";
}

}  // namespace

Result<DeviceFlag> parse_device_flag(const std::string& text) {
  auto mode_ok = [](std::string_view m) {
    return !m.empty() && m.size() <= 3 && m.find_first_not_of("rwm") == std::string_view::npos;
  };
  auto parts = split(text, ':');
  if (text.empty() || parts.size() > 3) return fail(Errc::InvalidArgument, "invalid device specification: " + text);
  DeviceFlag d{parts[0], "", "rwm"};
  if (parts.size() == 3) {
    d.container = parts[1];
    d.permissions = parts[2];
  } else if (parts.size() == 2) {
    // HOST:rw gives permissions; anything else is the container path.
    (mode_ok(parts[1]) ? d.permissions : d.container) = parts[1];
  }
  if (d.container.empty()) d.container = d.host;
  if (d.container.empty() || d.container[0] != '/') return fail(Errc::InvalidArgument, "bad format for path: " + d.container);
  if (!mode_ok(d.permissions)) return fail(Errc::InvalidArgument, "bad mode specified: " + d.permissions);
  return d;
}

Result<Ulimit> parse_ulimit(const std::string& text) {
  static const char* const kNames[] = {"core",   "cpu",   "data",  "fsize", "locks",  "memlock", "msgqueue", "nice",
                                       "nofile", "nproc", "rss",   "rtprio", "rttime", "sigpending", "stack"};
  size_t eq = text.find('=');
  if (eq == std::string::npos) return fail(Errc::InvalidArgument, fmt::format("invalid ulimit argument: {}", text));
  Ulimit u;
  u.name = text.substr(0, eq);
  if (std::find(std::begin(kNames), std::end(kNames), u.name) == std::end(kNames)) {
    return fail(Errc::InvalidArgument, fmt::format("invalid ulimit type: {}", u.name));
  }
  auto limits = split(text.substr(eq + 1), ':');
  if (limits.empty() || limits.size() > 2) {
    return fail(Errc::InvalidArgument, fmt::format("too many limit value arguments - {}, can only have up to two, `soft[:hard]`", text.substr(eq + 1)));
  }
  auto soft = parse_int(limits[0]);
  if (!soft) return fail(Errc::InvalidArgument, fmt::format("invalid ulimit soft value: {}", limits[0]));
  u.soft = u.hard = *soft;
  if (limits.size() == 2) {
    auto hard = parse_int(limits[1]);
    if (!hard) return fail(Errc::InvalidArgument, fmt::format("invalid ulimit hard value: {}", limits[1]));
    u.hard = *hard;
    if (u.soft > u.hard) {
      return fail(Errc::InvalidArgument,
                  fmt::format("ulimit soft limit must be less than or equal to hard limit: {} > {}", u.soft, u.hard));
    }
  }
  return u;
}

Result<Json> parse_restart_policy(const std::string& text) {
  Json policy = {{"Name", "no"}, {"MaximumRetryCount", 0}};
  if (text.empty()) return policy;
  std::string name = text, count;
  if (size_t colon = text.find(':'); colon != std::string::npos) {
    name = text.substr(0, colon);
    count = text.substr(colon + 1);
  }
  // berth's own on-unhealthy beside Docker's names (docs/user-guide.md).
  if (name != "no" && name != "always" && name != "unless-stopped" && name != "on-failure" && name != "on-unhealthy") {
    return fail(Errc::InvalidArgument, fmt::format("invalid restart policy: unknown policy '{}'; use one of 'no', 'always', 'on-failure', 'on-unhealthy', or 'unless-stopped'", name));
  }
  policy["Name"] = name;
  if (!count.empty()) {
    if (name != "on-failure" && name != "on-unhealthy") {
      return fail(Errc::InvalidArgument, fmt::format("invalid restart policy: maximum retry count can only be used with 'on-failure' or 'on-unhealthy'"));
    }
    auto n = parse_int(count);
    if (!n || *n < 0) return fail(Errc::InvalidArgument, fmt::format("invalid restart policy: invalid count '{}'", count));
    policy["MaximumRetryCount"] = *n;
  }
  return policy;
}

Result<Json> parse_healthcheck(const RunOptions& o) {
  auto ns = [](const std::string& v) -> int64_t { return v.empty() ? 0 : go::parse_duration(v).value_or(0); };
  int64_t interval = ns(o.health_interval), timeout = ns(o.health_timeout);
  int64_t start_period = ns(o.health_start_period), start_interval = ns(o.health_start_interval);
  bool any = !o.health_cmd.empty() || interval != 0 || timeout != 0 || start_period != 0 || o.health_retries != 0 ||
             start_interval != 0;
  if (o.no_healthcheck) {
    if (any) return fail(Errc::InvalidArgument, "--no-healthcheck conflicts with --health-* options");
    return Json{{"Test", {"NONE"}}};
  }
  if (!any) return Json(nullptr);
  if (interval < 0) return fail(Errc::InvalidArgument, "--health-interval cannot be negative");
  if (timeout < 0) return fail(Errc::InvalidArgument, "--health-timeout cannot be negative");
  if (o.health_retries < 0) return fail(Errc::InvalidArgument, "--health-retries cannot be negative");
  if (start_period < 0) return fail(Errc::InvalidArgument, "--health-start-period cannot be negative");
  if (start_interval < 0) return fail(Errc::InvalidArgument, "--health-start-interval cannot be negative");
  Json h = Json::object();
  if (!o.health_cmd.empty()) h["Test"] = {"CMD-SHELL", o.health_cmd};
  if (interval) h["Interval"] = interval;
  if (timeout) h["Timeout"] = timeout;
  if (start_period) h["StartPeriod"] = start_period;
  if (start_interval) h["StartInterval"] = start_interval;
  if (o.health_retries) h["Retries"] = o.health_retries;
  return h;
}

Result<std::vector<std::string>> parse_security_opts(const std::vector<std::string>& opts, const RunEnvironment& env) {
  std::vector<std::string> out;
  for (const auto& opt : opts) {
    if (opt == "no-new-privileges") {
      out.push_back(opt);
      continue;
    }
    size_t sep = opt.find('=');
    if (sep == std::string::npos) sep = opt.find(':');
    if (sep == std::string::npos) return fail(Errc::InvalidArgument, fmt::format("invalid --security-opt: \"{}\"", opt));
    std::string key = opt.substr(0, sep), value = opt.substr(sep + 1);
    if (key == "seccomp" && value != "unconfined") {
      // The daemon gets the profile itself, not a path on the client's machine.
      auto text = env.read_file(value);
      if (!text) {
        return fail(Errc::InvalidArgument, fmt::format("opening seccomp profile ({}) failed: {}", value, text.error().str()));
      }
      auto compact = compact_json(*text);
      if (!compact) {
        return fail(Errc::InvalidArgument, fmt::format("compacting json for seccomp profile ({}) failed: {}", value, compact.error().message));
      }
      out.push_back("seccomp=" + *compact);
      continue;
    }
    out.push_back(opt);
  }
  return out;
}

Result<std::vector<std::string>> read_env_file(const std::string& path, const RunEnvironment& env) {
  auto text = env.read_file(path);
  if (!text) return fail(Errc::InvalidArgument, fmt::format("open {}: {}", path, text.error().str()));
  std::vector<std::string> out;
  for (auto& raw : split(*text, '\n')) {
    std::string_view line = raw;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    std::string_view key = line.substr(0, eq);
    if (key.empty()) return fail(Errc::InvalidArgument, fmt::format("no variable name on line '{}'", line));
    if (key.find_first_of(" \t") != std::string_view::npos) {
      return fail(Errc::InvalidArgument, fmt::format("variable '{}' contains whitespaces", key));
    }
    if (eq != std::string_view::npos) {
      out.emplace_back(line);
    } else if (auto v = env.getenv(std::string(key))) {
      out.push_back(std::string(key) + "=" + *v);  // a bare name takes the caller's value, if set
    }
  }
  return out;
}

namespace {

// docker-cli's EffectiveCapAddCapDrop: upper case, "CAP_" prefix, ALL wins,
// and a capability both added and dropped is added.
std::vector<std::string> normalize_caps(const std::vector<std::string>& caps) {
  std::vector<std::string> out;
  for (auto c : caps) {
    c = std::string(trim(c));
    for (char& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (c != "ALL" && !c.starts_with("CAP_")) c = "CAP_" + c;
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  if (std::find(out.begin(), out.end(), "ALL") != out.end()) return {"ALL"};
  return out;
}

Json string_list_or_null(const std::vector<std::string>& v) { return v.empty() ? Json(nullptr) : Json(v); }

}  // namespace

Result<CreateRequest> build_create_request(const RunOptions& o, bool detached, const RunEnvironment& env) {
  if (o.image.empty()) return fail(Errc::InvalidArgument, "an image name is required");
  // Attach: -a picks streams; without it stdout and stderr; -i adds stdin.
  bool attach_stdin = false, attach_stdout = false, attach_stderr = false;
  for (const auto& a : o.attach) {
    std::string s = a;
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "stdin") attach_stdin = true;
    else if (s == "stdout") attach_stdout = true;
    else if (s == "stderr") attach_stderr = true;
    else return fail(Errc::InvalidArgument, fmt::format("invalid argument \"{}\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR", a));
  }
  if (o.attach.empty()) attach_stdout = attach_stderr = true;
  if (o.interactive) attach_stdin = true;
  bool stdin_once = o.interactive && attach_stdin;
  if (detached) {
    if (!o.attach.empty()) return fail(Errc::InvalidArgument, "Conflicting options: -a and -d");
    attach_stdin = attach_stdout = attach_stderr = stdin_once = false;
  }

  std::vector<std::string> env_list;
  for (const auto& f : o.env_files) {
    auto lines = TRY(read_env_file(f, env));
    env_list.insert(env_list.end(), lines.begin(), lines.end());
  }
  for (const auto& e : o.env) {
    size_t eq = e.find('=');
    if (eq == 0) return fail(Errc::InvalidArgument, fmt::format("invalid argument \"{}\" for \"-e, --env\" flag: invalid environment variable: {}", e, e));
    if (eq != std::string::npos) {
      env_list.push_back(e);
    } else if (auto v = env.getenv(e)) {
      env_list.push_back(e + "=" + *v);
    } else {
      env_list.push_back(e);
    }
  }

  Json labels = Json::object();
  for (const auto& l : o.labels) {
    size_t eq = l.find('=');
    labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }

  Json restart = TRY(parse_restart_policy(o.restart));
  Json healthcheck = TRY(parse_healthcheck(o));
  if (o.rm && restart["Name"] != "no") {
    return fail(Errc::InvalidArgument, "conflicting options: cannot specify both --restart and --rm");
  }

  int64_t memory = 0, memory_swap = 0, nano_cpus = 0;
  if (!o.memory.empty()) {
    memory = TRY_CTX(parse_ram_bytes(o.memory), fmt::format("invalid argument \"{}\" for \"-m, --memory\" flag: ", o.memory));
  }
  if (!o.memory_swap.empty()) {
    if (o.memory_swap == "-1") {
      memory_swap = -1;
    } else {
      memory_swap = TRY_CTX(parse_ram_bytes(o.memory_swap),
                            fmt::format("invalid argument \"{}\" for \"--memory-swap\" flag: ", o.memory_swap));
    }
  }
  if (!o.cpus.empty()) {
    nano_cpus = TRY_CTX(parse_nano_cpus(o.cpus), fmt::format("invalid argument \"{}\" for \"--cpus\" flag: ", o.cpus));
  }

  Json ulimits = Json::array();
  for (const auto& u : o.ulimits) {
    Ulimit parsed = TRY_CTX(parse_ulimit(u), fmt::format("invalid argument \"{}\" for \"--ulimit\" flag: ", u));
    ulimits.push_back({{"Name", parsed.name}, {"Hard", parsed.hard}, {"Soft", parsed.soft}});
  }

  Json devices = Json::array();
  for (const auto& text : o.devices) {
    DeviceFlag d = TRY_CTX(parse_device_flag(text), fmt::format("invalid argument \"{}\" for \"--device\" flag: ", text));
    devices.push_back({{"PathOnHost", d.host}, {"PathInContainer", d.container}, {"CgroupPermissions", d.permissions}});
  }
  for (const auto& rule : o.device_cgroup_rules) {
    // TYPE MAJOR:MINOR ACCESS, checked as the docker CLI does (berthd checks again).
    static const std::regex kRule(R"(^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$)");
    if (!std::regex_match(rule, kRule))
      return fail(Errc::InvalidArgument, fmt::format("invalid argument \"{}\" for \"--device-cgroup-rule\" flag: "
                                                     "invalid device cgroup format '{}'", rule, rule));
  }

  Json tmpfs = Json::object();
  for (const auto& t : o.tmpfs) {
    size_t colon = t.find(':');
    tmpfs[t.substr(0, colon)] = colon == std::string::npos ? "" : t.substr(colon + 1);
  }

  std::vector<std::string> security = TRY(parse_security_opts(o.security_opt, env));
  std::vector<std::string> cap_add = normalize_caps(o.cap_add), cap_drop;
  for (const auto& c : normalize_caps(o.cap_drop)) {
    if (std::find(cap_add.begin(), cap_add.end(), c) == cap_add.end()) cap_drop.push_back(c);
  }

  // Networks: the first is the NetworkMode and takes --ip/--ip6/--network-alias.
  std::string network = "default";
  Json endpoints = Json::object();
  if (o.networks.empty()) {
    // docker-cli 28 always sends the "default" endpoint when no --network is given.
    NetworkAttachment def;
    def.target = "default";
    endpoints["default"] = TRY(attachment_endpoint(def, o, true));
  } else {
    bool user_defined = false, builtin = false;
    for (size_t i = 0; i < o.networks.size(); ++i) {
      NetworkAttachment n = TRY_CTX(parse_network_opt(o.networks[i]),
                                    fmt::format("invalid argument \"{}\" for \"--network\" flag", o.networks[i]));
      if (i == 0) network = n.target;
      (user_defined_network(n.target) ? user_defined : builtin) = true;
      Json ep = TRY(attachment_endpoint(n, o, i == 0));
      if (endpoints.contains(n.target)) {
        return fail(Errc::InvalidArgument, fmt::format("network \"{}\" is specified multiple times", n.target));
      }
      // One network without options: no endpoint (the daemon makes it).
      if (i == 0 && o.networks.size() == 1 && empty_endpoint(ep)) continue;
      endpoints[n.target] = ep;
    }
    if (user_defined && builtin) {
      return fail(Errc::InvalidArgument,
                  "conflicting options: cannot attach both user-defined and non-user-defined network-modes");
    }
  }

  // Ports: -p and --expose, keys in Go's sorted map order.
  PortSpecs ports;
  for (const auto& p : o.publish) TRYV(add_publish_spec(p, ports));
  for (const auto& e : o.expose) TRYV(add_expose_spec(e, ports));

  // -v: "SRC:DST[:OPTS]" binds (named volumes too), a bare path an anonymous volume.
  Json binds = Json::array();
  Json anonymous = Json::object();
  for (const auto& v : o.volumes) {
    if (v.empty()) return fail(Errc::InvalidArgument, "invalid empty volume spec");
    size_t colon = v.find(':');
    if (v.size() <= 2 || colon == std::string::npos) {
      anonymous[v] = Json::object();
      continue;
    }
    if (colon == 0) return fail(Errc::InvalidArgument, fmt::format("invalid spec: {}: empty section between colons", v));
    std::string src = v.substr(0, colon);
    // A relative bind source ("./data", "..") is made absolute, as docker-cli 28 does.
    if (src.starts_with(".")) src = absolute_path(src, env.working_dir());
    binds.push_back(src + v.substr(colon));
  }
  Json mounts = Json::array();
  for (const auto& m : o.mounts) {
    mounts.push_back(TRY_CTX(parse_mount(m, env), fmt::format("invalid argument \"{}\" for \"--mount\" flag", m)));
  }

  Json config;
  config["Hostname"] = o.hostname;
  config["Domainname"] = "";
  config["User"] = o.user;
  config["AttachStdin"] = attach_stdin;
  config["AttachStdout"] = attach_stdout;
  config["AttachStderr"] = attach_stderr;
  if (!ports.exposed.empty()) {
    Json exposed = Json::object();
    for (const auto& [k, v] : ports.exposed) exposed[k] = Json::object();
    config["ExposedPorts"] = exposed;
  }
  config["Tty"] = o.tty;
  config["OpenStdin"] = o.interactive;
  config["StdinOnce"] = stdin_once;
  config["Env"] = string_list_or_null(env_list);
  config["Cmd"] = string_list_or_null(o.command);
  config["Image"] = o.image;
  config["Volumes"] = anonymous;
  config["WorkingDir"] = o.workdir;
  if (!o.entrypoint.empty()) {
    config["Entrypoint"] = Json::array({o.entrypoint});
  } else if (o.entrypoint_set) {
    config["Entrypoint"] = Json::array({""});
  } else {
    config["Entrypoint"] = nullptr;
  }
  config["OnBuild"] = nullptr;
  config["Labels"] = labels;
  if (!o.stop_signal.empty()) config["StopSignal"] = o.stop_signal;
  if (o.stop_timeout) config["StopTimeout"] = *o.stop_timeout;
  if (!healthcheck.is_null()) config["Healthcheck"] = healthcheck;

  Json host;
  host["Binds"] = binds.empty() ? Json(nullptr) : binds;
  host["ContainerIDFile"] = o.cidfile;
  host["LogConfig"] = {{"Type", ""}, {"Config", Json::object()}};
  host["NetworkMode"] = network;
  Json bindings = Json::object();
  for (const auto& [k, list] : ports.bindings) {
    Json arr = Json::array();
    for (const auto& b : list) arr.push_back({{"HostIp", b.host_ip}, {"HostPort", b.host_port}});
    bindings[k] = arr;
  }
  host["PortBindings"] = bindings;
  host["RestartPolicy"] = restart;
  host["AutoRemove"] = o.rm;
  host["VolumeDriver"] = "";
  host["VolumesFrom"] = string_list_or_null(o.volumes_from);
  host["ConsoleSize"] = o.console_size ? Json::array({o.console_size->first, o.console_size->second})
                                       : Json::array({0, 0});
  host["CapAdd"] = string_list_or_null(cap_add);
  host["CapDrop"] = string_list_or_null(cap_drop);
  host["CgroupnsMode"] = "";
  host["Dns"] = Json::array();
  host["DnsOptions"] = Json::array();
  host["DnsSearch"] = Json::array();
  host["ExtraHosts"] = string_list_or_null(o.add_hosts);
  host["GroupAdd"] = nullptr;
  host["IpcMode"] = "";
  host["Cgroup"] = "";
  host["Links"] = string_list_or_null(o.links);
  host["OomScoreAdj"] = 0;
  host["PidMode"] = "";
  host["Privileged"] = o.privileged;
  host["PublishAllPorts"] = o.publish_all;
  host["ReadonlyRootfs"] = o.read_only;
  host["SecurityOpt"] = string_list_or_null(security);
  if (!tmpfs.empty()) host["Tmpfs"] = tmpfs;
  host["UTSMode"] = "";
  host["UsernsMode"] = o.userns;
  host["ShmSize"] = 0;
  host["CpuShares"] = o.cpu_shares.value_or(0);
  host["Memory"] = memory;
  host["NanoCpus"] = nano_cpus;
  host["CgroupParent"] = "";
  host["BlkioWeight"] = 0;
  host["CpuPeriod"] = 0;
  host["CpuQuota"] = 0;
  host["CpusetCpus"] = o.cpuset_cpus;
  host["CpusetMems"] = "";
  host["Devices"] = devices;
  host["DeviceCgroupRules"] = string_list_or_null(o.device_cgroup_rules);
  host["MemoryReservation"] = 0;
  host["MemorySwap"] = memory_swap;
  host["MemorySwappiness"] = -1;
  host["OomKillDisable"] = false;
  if (o.pids_limit) host["PidsLimit"] = *o.pids_limit;
  host["Ulimits"] = ulimits;
  if (o.init) host["Init"] = true;
  if (!o.runtime.empty()) host["Runtime"] = o.runtime;
  if (!mounts.empty()) host["Mounts"] = mounts;

  config["HostConfig"] = host;
  config["NetworkingConfig"] = {{"EndpointsConfig", endpoints}};

  CreateRequest req;
  if (!o.name.empty()) req.query = "?name=" + url_encode(o.name);
  req.body = std::move(config);
  return req;
}

}  // namespace berth::cli
