#include "compose/render.h"

#include <fmt/format.h>

#include <algorithm>

#include "compose/yaml_emit.h"

namespace berth::compose {

namespace {

using J = OrderedJson;

std::string bytes_text(Bytes b) { return std::to_string(b); }  // compose-go's UnitBytes marshals "%d"

void put(J& o, const char* key, const std::string& v) {
  if (!v.empty()) o[key] = v;
}
void put(J& o, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) o[key] = v;
}
void put(J& o, const char* key, const StringMap& v) {
  if (v.empty()) return;
  J m = J::object();
  for (const auto& [k, val] : v) m[k] = val;
  o[key] = m;
}
void put(J& o, const char* key, const OptionalValueMap& v) {
  if (v.empty()) return;
  J m = J::object();
  for (const auto& [k, val] : v) m[k] = val ? J(*val) : J(nullptr);
  o[key] = m;
}
void put_duration(J& o, const char* key, const std::optional<Nanoseconds>& v) {
  if (v) o[key] = go_duration_string(*v);
}
void put_bytes(J& o, const char* key, const std::optional<Bytes>& v) {
  if (v) o[key] = bytes_text(*v);
}
template <class T>
void put_opt(J& o, const char* key, const std::optional<T>& v) {
  if (v) o[key] = *v;
}
void put_flag(J& o, const char* key, bool v) {
  if (v) o[key] = true;
}
// Extensions are kept as nlohmann::json; copied without a text round trip,
// which would throw on a string that is not UTF-8.
J ordered(const nlohmann::json& v) {
  if (v.is_object()) {
    J o = J::object();
    for (const auto& [k, item] : v.items()) o[k] = ordered(item);
    return o;
  }
  if (v.is_array()) {
    J a = J::array();
    for (const auto& item : v) a.push_back(ordered(item));
    return a;
  }
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) return v.get<double>();
  return nullptr;
}

void put_extensions(J& o, const Extensions& x) {
  for (const auto& [k, v] : x) o[k] = ordered(v);
}

std::vector<std::string> hosts_list(const std::vector<ExtraHost>& hosts) {
  std::vector<std::string> out;
  for (const ExtraHost& h : hosts) out.push_back(h.host + "=" + h.ip);
  std::sort(out.begin(), out.end());
  return out;
}

J build_json(const BuildConfig& b) {
  J o = J::object();
  put(o, "context", b.context);
  put(o, "dockerfile", b.dockerfile);
  put(o, "dockerfile_inline", b.dockerfile_inline);
  put(o, "args", b.args);
  put(o, "labels", b.labels);
  put(o, "cache_from", b.cache_from);
  put(o, "cache_to", b.cache_to);
  put_opt(o, "no_cache", b.no_cache);
  put_opt(o, "pull", b.pull);
  if (!b.extra_hosts.empty()) o["extra_hosts"] = hosts_list(b.extra_hosts);
  put(o, "network", b.network);
  put(o, "target", b.target);
  put(o, "tags", b.tags);
  put(o, "platforms", b.platforms);
  put_bytes(o, "shm_size", b.shm_size);
  put_extensions(o, b.extensions);
  return o;
}

J command_json(const CommandLine& c) { return c.args; }

J port_json(const PortConfig& p) {
  J o = J::object();
  put(o, "name", p.name);
  put(o, "mode", p.mode);
  put(o, "host_ip", p.host_ip);
  o["target"] = p.target;
  put(o, "published", p.published);
  put(o, "protocol", p.protocol);
  put(o, "app_protocol", p.app_protocol);
  put_extensions(o, p.extensions);
  return o;
}

J mount_json(const VolumeMount& m) {
  J o = J::object();
  o["type"] = m.type;
  put(o, "source", m.source);
  o["target"] = m.target;
  put_flag(o, "read_only", m.read_only);
  put(o, "consistency", m.consistency);
  if (m.bind) {
    J b = J::object();
    put(b, "propagation", m.bind->propagation);
    put_opt(b, "create_host_path", m.bind->create_host_path);
    put(b, "selinux", m.bind->selinux);
    o["bind"] = b;
  }
  if (m.volume) {
    J v = J::object();
    put_flag(v, "nocopy", m.volume->nocopy);
    put(v, "subpath", m.volume->subpath);
    o["volume"] = v;
  }
  if (m.tmpfs) {
    J t = J::object();
    put_opt(t, "size", m.tmpfs->size);
    put_opt(t, "mode", m.tmpfs->mode);
    o["tmpfs"] = t;
  }
  put_extensions(o, m.extensions);
  return o;
}

J resource_json(const Resource& r) {
  J o = J::object();
  put_opt(o, "cpus", r.cpus);
  put_bytes(o, "memory", r.memory);
  put_opt(o, "pids", r.pids);
  return o;
}

J deploy_json(const Deploy& d) {
  J o = J::object();
  put(o, "mode", d.mode);
  put_opt(o, "replicas", d.replicas);
  put(o, "labels", d.labels);
  if (d.restart_policy) {
    J r = J::object();
    put(r, "condition", d.restart_policy->condition);
    put_duration(r, "delay", d.restart_policy->delay);
    put_opt(r, "max_attempts", d.restart_policy->max_attempts);
    put_duration(r, "window", d.restart_policy->window);
    o["restart_policy"] = r;
  }
  if (d.limits || d.reservations) {
    J r = J::object();
    if (d.limits) r["limits"] = resource_json(*d.limits);
    if (d.reservations) r["reservations"] = resource_json(*d.reservations);
    o["resources"] = r;
  }
  put_extensions(o, d.extensions);
  return o;
}

J file_ref_json(const FileReference& r) {
  J o = J::object();
  o["source"] = r.source;
  put(o, "target", r.target);
  put(o, "uid", r.uid);
  put(o, "gid", r.gid);
  if (r.mode) o["mode"] = fmt::format("{:04o}", *r.mode);
  put_extensions(o, r.extensions);
  return o;
}

J network_json(const NetworkConfig& n) {
  J o = J::object();
  o["name"] = n.name;
  put(o, "driver", n.driver);
  put(o, "driver_opts", n.driver_opts);
  if (n.ipam) {
    J i = J::object();
    put(i, "driver", n.ipam->driver);
    if (!n.ipam->config.empty()) {
      J pools = J::array();
      for (const IpamPool& p : n.ipam->config) {
        J pool = J::object();
        put(pool, "subnet", p.subnet);
        put(pool, "ip_range", p.ip_range);
        put(pool, "gateway", p.gateway);
        put(pool, "aux_addresses", p.aux_addresses);
        pools.push_back(pool);
      }
      i["config"] = pools;
    }
    put(i, "options", n.ipam->options);
    o["ipam"] = i;
  }
  put_flag(o, "external", n.external);
  put_flag(o, "internal", n.internal);
  put_opt(o, "attachable", n.attachable);
  put_opt(o, "enable_ipv6", n.enable_ipv6);
  put(o, "labels", n.labels);
  put_extensions(o, n.extensions);
  return o;
}

J volume_json(const VolumeConfig& v) {
  J o = J::object();
  o["name"] = v.name;
  put(o, "driver", v.driver);
  put(o, "driver_opts", v.driver_opts);
  put_flag(o, "external", v.external);
  put(o, "labels", v.labels);
  put_extensions(o, v.extensions);
  return o;
}

J file_object_json(const FileObjectConfig& c) {
  J o = J::object();
  o["name"] = c.name;
  put(o, "file", c.file);
  put(o, "environment", c.environment);
  put(o, "content", c.content);
  put_flag(o, "external", c.external);
  put(o, "labels", c.labels);
  put(o, "driver", c.driver);
  put(o, "template_driver", c.template_driver);
  put_extensions(o, c.extensions);
  return o;
}

}  // namespace

std::string go_duration_string(Nanoseconds ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  auto fraction = [](uint64_t v, int digits) {
    std::string f = fmt::format("{:0{}}", v, digits);
    while (!f.empty() && f.back() == '0') f.pop_back();
    return f.empty() ? std::string() : "." + f;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + std::to_string(u / 1000) + fraction(u % 1000, 3) + "µs";
  if (u < 1000000000) return sign + std::to_string(u / 1000000) + fraction(u % 1000000, 6) + "ms";
  uint64_t secs = u / 1000000000;
  std::string s = std::to_string(secs % 60) + fraction(u % 1000000000, 9) + "s";
  uint64_t mins = secs / 60;
  if (mins == 0) return sign + s;
  std::string m = std::to_string(mins % 60) + "m" + s;
  uint64_t hours = mins / 60;
  if (hours == 0) return sign + m;
  return sign + std::to_string(hours) + "h" + m;
}

OrderedJson service_to_json(const Service& s) {
  // compose-go declares ServiceConfig's fields in (nearly) alphabetical order,
  // so `config` prints them sorted: a sorted map gives the same.
  std::map<std::string, J> f;
  auto set = [&](const char* key, J v) { f[key] = std::move(v); };
  if (!s.annotations.empty()) { J o; put(o, "annotations", s.annotations); set("annotations", o["annotations"]); }
  if (s.build) set("build", build_json(*s.build));
  if (!s.cap_add.empty()) set("cap_add", s.cap_add);
  if (!s.cap_drop.empty()) set("cap_drop", s.cap_drop);
  if (s.command) set("command", command_json(*s.command));
  if (!s.configs.empty()) {
    J a = J::array();
    for (const auto& r : s.configs) a.push_back(file_ref_json(r));
    set("configs", a);
  }
  if (!s.container_name.empty()) set("container_name", s.container_name);
  if (s.cpus) set("cpus", *s.cpus);
  if (s.cpu_shares) set("cpu_shares", *s.cpu_shares);
  if (s.cpu_quota) set("cpu_quota", *s.cpu_quota);
  if (s.cpu_period) set("cpu_period", *s.cpu_period);
  if (!s.cpuset.empty()) set("cpuset", s.cpuset);
  if (s.mem_swappiness) set("mem_swappiness", *s.mem_swappiness);
  if (s.oom_kill_disable) set("oom_kill_disable", *s.oom_kill_disable);
  if (s.oom_score_adj) set("oom_score_adj", *s.oom_score_adj);
  if (!s.cgroup_parent.empty()) set("cgroup_parent", s.cgroup_parent);
  if (!s.runtime.empty()) set("runtime", s.runtime);
  if (!s.userns_mode.empty()) set("userns_mode", s.userns_mode);
  if (!s.uts.empty()) set("uts", s.uts);
  if (!s.depends_on.empty()) {
    J d = J::object();
    for (const auto& [name, dep] : s.depends_on) {
      J o = J::object();
      o["condition"] = dep.condition;
      if (dep.restart) o["restart"] = true;
      o["required"] = dep.required;
      put_extensions(o, dep.extensions);
      d[name] = o;
    }
    set("depends_on", d);
  }
  if (s.deploy) set("deploy", deploy_json(*s.deploy));
  if (!s.devices.empty()) {
    J a = J::array();
    for (const auto& d : s.devices) a.push_back(J{{"source", d.source}, {"target", d.target}, {"permissions", d.permissions}});
    set("devices", a);
  }
  if (!s.device_cgroup_rules.empty()) set("device_cgroup_rules", s.device_cgroup_rules);
  if (!s.dns.empty()) set("dns", s.dns);
  if (!s.dns_opt.empty()) set("dns_opt", s.dns_opt);
  if (!s.dns_search.empty()) set("dns_search", s.dns_search);
  if (!s.domainname.empty()) set("domainname", s.domainname);
  if (s.entrypoint) set("entrypoint", command_json(*s.entrypoint));
  if (!s.environment.empty()) { J o; put(o, "environment", s.environment); set("environment", o["environment"]); }
  if (!s.expose.empty()) set("expose", s.expose);
  if (!s.external_links.empty()) set("external_links", s.external_links);
  if (!s.extra_hosts.empty()) set("extra_hosts", hosts_list(s.extra_hosts));
  if (!s.group_add.empty()) set("group_add", s.group_add);
  if (s.healthcheck) {
    const Healthcheck& h = *s.healthcheck;
    J o = J::object();
    if (!h.test.empty()) o["test"] = h.test;
    put_duration(o, "timeout", h.timeout);
    put_duration(o, "interval", h.interval);
    put_opt(o, "retries", h.retries);
    put_duration(o, "start_period", h.start_period);
    put_duration(o, "start_interval", h.start_interval);
    put_flag(o, "disable", h.disable);
    put_extensions(o, h.extensions);
    set("healthcheck", o);
  }
  if (!s.hostname.empty()) set("hostname", s.hostname);
  if (!s.image.empty()) set("image", s.image);
  if (s.init) set("init", *s.init);
  if (!s.ipc.empty()) set("ipc", s.ipc);
  if (!s.labels.empty()) { J o; put(o, "labels", s.labels); set("labels", o["labels"]); }
  if (!s.links.empty()) set("links", s.links);
  if (s.logging) {
    J o = J::object();
    put(o, "driver", s.logging->driver);
    put(o, "options", s.logging->options);
    set("logging", o);
  }
  if (!s.mac_address.empty()) set("mac_address", s.mac_address);
  if (s.mem_limit) set("mem_limit", bytes_text(*s.mem_limit));
  if (s.mem_reservation) set("mem_reservation", bytes_text(*s.mem_reservation));
  if (s.memswap_limit) set("memswap_limit", bytes_text(*s.memswap_limit));
  if (!s.network_mode.empty()) set("network_mode", s.network_mode);
  if (!s.networks.empty()) {
    J o = J::object();
    for (const auto& [name, cfg] : s.networks) {
      if (!cfg) {
        o[name] = nullptr;
        continue;
      }
      J n = J::object();
      put(n, "aliases", cfg->aliases);
      put(n, "ipv4_address", cfg->ipv4_address);
      put(n, "ipv6_address", cfg->ipv6_address);
      put(n, "link_local_ips", cfg->link_local_ips);
      put(n, "mac_address", cfg->mac_address);
      put_opt(n, "priority", cfg->priority);
      put_extensions(n, cfg->extensions);
      o[name] = n;
    }
    set("networks", o);
  }
  if (!s.pid.empty()) set("pid", s.pid);
  if (s.pids_limit) set("pids_limit", *s.pids_limit);
  if (!s.platform.empty()) set("platform", s.platform);
  if (!s.ports.empty()) {
    J a = J::array();
    for (const auto& p : s.ports) a.push_back(port_json(p));
    set("ports", a);
  }
  if (s.privileged) set("privileged", true);
  if (!s.profiles.empty()) set("profiles", s.profiles);
  if (!s.pull_policy.empty()) set("pull_policy", s.pull_policy);
  if (s.read_only) set("read_only", true);
  if (!s.restart.empty()) set("restart", s.restart);
  if (s.scale) set("scale", *s.scale);
  if (!s.secrets.empty()) {
    J a = J::array();
    for (const auto& r : s.secrets) a.push_back(file_ref_json(r));
    set("secrets", a);
  }
  if (!s.security_opt.empty()) set("security_opt", s.security_opt);
  if (s.shm_size) set("shm_size", bytes_text(*s.shm_size));
  if (s.stdin_open) set("stdin_open", true);
  if (s.stop_grace_period) set("stop_grace_period", go_duration_string(*s.stop_grace_period));
  if (!s.stop_signal.empty()) set("stop_signal", s.stop_signal);
  if (!s.sysctls.empty()) { J o; put(o, "sysctls", s.sysctls); set("sysctls", o["sysctls"]); }
  if (!s.tmpfs.empty()) set("tmpfs", s.tmpfs);
  if (s.tty) set("tty", true);
  if (!s.ulimits.empty()) {
    J o = J::object();
    for (const auto& [name, u] : s.ulimits) {
      if (u.single) {
        o[name] = *u.single;
      } else {
        o[name] = J{{"soft", u.soft}, {"hard", u.hard}};
      }
    }
    set("ulimits", o);
  }
  if (!s.user.empty()) set("user", s.user);
  if (!s.volumes.empty()) {
    J a = J::array();
    for (const auto& m : s.volumes) a.push_back(mount_json(m));
    set("volumes", a);
  }
  if (!s.volumes_from.empty()) set("volumes_from", s.volumes_from);
  if (!s.working_dir.empty()) set("working_dir", s.working_dir);
  for (const auto& [k, v] : s.extensions) f[k] = ordered(v);
  J out = J::object();
  for (auto& [k, v] : f) out[k] = std::move(v);
  return out;
}

OrderedJson project_to_json(const Project& p) {
  J o = J::object();
  o["name"] = p.name;
  J services = J::object();
  for (const auto& [name, s] : p.services) services[name] = service_to_json(s);
  o["services"] = services;
  auto section = [&](const char* key, const auto& items, auto convert) {
    if (items.empty()) return;
    J m = J::object();
    for (const auto& [name, item] : items) m[name] = convert(item);
    o[key] = m;
  };
  section("networks", p.networks, network_json);
  section("volumes", p.volumes, volume_json);
  section("secrets", p.secrets, file_object_json);
  section("configs", p.configs, file_object_json);
  put_extensions(o, p.extensions);
  return o;
}

std::string render_yaml(const Project& project) { return emit_yaml(project_to_json(project)); }

std::string render_json(const Project& project) {
  // Go's encoder writes U+FFFD for bytes that are not UTF-8; so does this.
  return project_to_json(project).dump(4, ' ', false, J::error_handler_t::replace) + "\n";
}

}  // namespace berth::compose
