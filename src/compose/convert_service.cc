#include "compose/convert.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "compose/diagnostics.h"
#include "compose/fields.h"

namespace berth::compose {

namespace {

std::string item_path(const std::string& path, size_t i) { return fmt::format("{}.{}", path, i); }

Result<const Node*> sequence(Fields& f, const char* key) {
  const Node* v = f.get(key);
  if (!v || v->is_null()) return nullptr;
  if (!v->is_sequence()) return invalid_at(*v, "", fmt::format("{} must be a array", f.sub(key)));
  return v;
}

Result<std::optional<CommandLine>> command_line(Fields& f, const char* key) {
  const Node* v = f.get(key);
  if (!v) return std::nullopt;
  CommandLine c;
  if (v->is_null()) return c;
  if (v->is_scalar()) {
    c.shell_form = true;
    // compose-go splits the string into words (shellwords), without a shell.
    std::string word;
    bool in_word = false;
    char quote = 0;
    const std::string& s = v->scalar;
    for (size_t i = 0; i < s.size(); ++i) {
      char ch = s[i];
      if (quote) {
        if (ch == quote) {
          quote = 0;
        } else if (ch == '\\' && quote == '"' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) {
          word += s[++i];
        } else {
          word += ch;
        }
      } else if (ch == '\'' || ch == '"') {
        quote = ch;
        in_word = true;
      } else if (ch == '\\' && i + 1 < s.size()) {
        word += s[++i];
        in_word = true;
      } else if (ch == ' ' || ch == '\t' || ch == '\n') {
        if (in_word) c.args.push_back(std::move(word));
        word.clear();
        in_word = false;
      } else {
        word += ch;
        in_word = true;
      }
    }
    if (quote) return invalid_at(*v, f.sub(key), "invalid command line string");
    if (in_word) c.args.push_back(std::move(word));
    return c;
  }
  if (!v->is_sequence()) return invalid_at(*v, "", fmt::format("{} must be a string or array", f.sub(key)));
  for (size_t i = 0; i < v->items.size(); ++i) c.args.push_back(TRY(as_string(v->items[i], item_path(f.sub(key), i))));
  return c;
}

Result<BuildConfig> build(const Node& n, const std::string& path) {
  Fields f = TRY(Fields::of(n, path));
  BuildConfig b;
  TRYV(f.str("context", b.context));
  TRYV(f.str("dockerfile", b.dockerfile));
  TRYV(f.str("dockerfile_inline", b.dockerfile_inline));
  TRYV(f.optional_map("args", b.args));
  TRYV(f.str("target", b.target));
  TRYV(f.string_map("labels", b.labels));
  TRYV(f.str("network", b.network));
  TRYV(f.extra_hosts("extra_hosts", b.extra_hosts));
  TRYV(f.bytes("shm_size", b.shm_size));
  TRYV(f.strings("cache_from", b.cache_from));
  TRYV(f.strings("cache_to", b.cache_to));
  TRYV(f.strings("platforms", b.platforms));
  TRYV(f.strings("tags", b.tags));
  TRYV(f.boolean("pull", b.pull));
  TRYV(f.boolean("no_cache", b.no_cache));
  f.accept({"additional_contexts", "ssh", "secrets", "isolation", "privileged", "ulimits", "entitlements", "provenance",
            "sbom"});
  TRYV(f.finish(&b.extensions));
  if (b.context.empty() && b.dockerfile_inline.empty()) b.context = ".";
  if (b.dockerfile.empty() && b.dockerfile_inline.empty()) b.dockerfile = "Dockerfile";
  return b;
}

Result<PortConfig> port(const Node& n, const std::string& path) {
  Fields f = TRY(Fields::of(n, path));
  PortConfig p;
  TRYV(f.str("name", p.name));
  TRYV(f.str("mode", p.mode));
  TRYV(f.str("host_ip", p.host_ip));
  std::optional<int64_t> target;
  TRYV(f.integer("target", target));
  if (!target || *target < 0 || *target > 65535) {
    return invalid_at(n, path, fmt::format("invalid port target \"{}\"", target ? std::to_string(*target) : ""));
  }
  p.target = static_cast<uint32_t>(*target);
  TRYV(f.str("published", p.published));
  TRYV(f.str("protocol", p.protocol));
  TRYV(f.str("app_protocol", p.app_protocol));
  TRYV(f.finish(&p.extensions));
  if (p.mode.empty()) p.mode = "ingress";
  if (p.protocol.empty()) p.protocol = "tcp";
  return p;
}

Result<VolumeMount> mount(const Node& n, const std::string& path) {
  Fields f = TRY(Fields::of(n, path));
  VolumeMount m;
  TRYV(f.str("type", m.type));
  TRYV(f.str("source", m.source));
  TRYV(f.str("target", m.target));
  TRYV(f.boolean("read_only", m.read_only));
  TRYV(f.str("consistency", m.consistency));
  if (const Node* b = f.get("bind")) {
    Fields bf = TRY(Fields::of(*b, f.sub("bind")));
    VolumeMount::Bind bind;
    TRYV(bf.str("propagation", bind.propagation));
    TRYV(bf.boolean("create_host_path", bind.create_host_path));
    TRYV(bf.str("selinux", bind.selinux));
    TRYV(bf.finish());
    m.bind = bind;
  }
  if (const Node* v = f.get("volume")) {
    Fields vf = TRY(Fields::of(*v, f.sub("volume")));
    VolumeMount::Volume vol;
    TRYV(vf.boolean("nocopy", vol.nocopy));
    TRYV(vf.str("subpath", vol.subpath));
    vf.accept({"labels"});
    TRYV(vf.finish());
    m.volume = vol;
  }
  if (const Node* t = f.get("tmpfs")) {
    Fields tf = TRY(Fields::of(*t, f.sub("tmpfs")));
    VolumeMount::Tmpfs tmpfs;
    TRYV(tf.bytes("size", tmpfs.size));
    std::optional<int64_t> mode;
    TRYV(tf.integer("mode", mode));
    if (mode) tmpfs.mode = static_cast<uint32_t>(*mode);
    TRYV(tf.finish());
    m.tmpfs = tmpfs;
  }
  f.accept({"image"});
  TRYV(f.finish(&m.extensions));
  static const char* const kTypes[] = {"volume", "bind", "tmpfs", "npipe", "image", "cluster"};
  if (std::find(std::begin(kTypes), std::end(kTypes), m.type) == std::end(kTypes)) {
    return invalid_at(n, f.sub("type"), fmt::format("invalid mount type \"{}\"", m.type));
  }
  if (m.target.empty()) return invalid_at(n, path, "missing target");
  if (m.type == "bind" && m.source.empty()) return invalid_at(n, path, "bind mount without a source");
  return m;
}

Result<std::optional<ServiceNetwork>> service_network(const Node& n, const std::string& path) {
  if (n.is_null()) return std::nullopt;
  Fields f = TRY(Fields::of(n, path));
  ServiceNetwork sn;
  TRYV(f.strings("aliases", sn.aliases));
  TRYV(f.str("ipv4_address", sn.ipv4_address));
  TRYV(f.str("ipv6_address", sn.ipv6_address));
  TRYV(f.strings("link_local_ips", sn.link_local_ips));
  TRYV(f.str("mac_address", sn.mac_address));
  TRYV(f.integer("priority", sn.priority));
  f.accept({"driver_opts", "gw_priority", "interface_name"});
  TRYV(f.finish(&sn.extensions));
  return sn;
}

Result<Dependency> dependency(const Node& n, const std::string& path) {
  Fields f = TRY(Fields::of(n, path));
  Dependency d;
  TRYV(f.str("condition", d.condition));
  TRYV(f.boolean("restart", d.restart));
  TRYV(f.boolean("required", d.required));
  TRYV(f.finish(&d.extensions));
  if (d.condition != "service_started" && d.condition != "service_healthy" &&
      d.condition != "service_completed_successfully") {
    return invalid_at(n, f.sub("condition"),
                      fmt::format("must be one of the following: \"service_started\", \"service_healthy\", "
                                  "\"service_completed_successfully\""));
  }
  return d;
}

Result<Healthcheck> healthcheck(const Node& n, const std::string& path) {
  Fields f = TRY(Fields::of(n, path));
  Healthcheck h;
  TRYV(f.strings("test", h.test));
  TRYV(f.duration("interval", h.interval));
  TRYV(f.duration("timeout", h.timeout));
  std::optional<int64_t> retries;
  TRYV(f.integer("retries", retries));
  if (retries) h.retries = static_cast<uint64_t>(*retries);
  TRYV(f.duration("start_period", h.start_period));
  TRYV(f.duration("start_interval", h.start_interval));
  TRYV(f.boolean("disable", h.disable));
  TRYV(f.finish(&h.extensions));
  if (!h.test.empty() && h.test[0] != "CMD" && h.test[0] != "CMD-SHELL" && h.test[0] != "NONE") {
    return invalid_at(n, f.sub("test"), "healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"");
  }
  if (h.disable && !h.test.empty() && h.test[0] != "NONE") {
    return invalid_at(n, path, "test and disable can't be set at the same time");
  }
  return h;
}

Result<Resource> resource(const Node& n, const std::string& path) {
  Fields f = TRY(Fields::of(n, path));
  Resource r;
  TRYV(f.number("cpus", r.cpus));
  TRYV(f.bytes("memory", r.memory));
  TRYV(f.integer("pids", r.pids));
  f.accept({"devices", "generic_resources"});
  TRYV(f.finish());
  return r;
}

Result<Deploy> deploy(const Node& n, const std::string& path) {
  Fields f = TRY(Fields::of(n, path));
  Deploy d;
  TRYV(f.str("mode", d.mode));
  TRYV(f.integer("replicas", d.replicas));
  TRYV(f.string_map("labels", d.labels));
  if (const Node* r = f.get("resources")) {
    Fields rf = TRY(Fields::of(*r, f.sub("resources")));
    if (const Node* l = rf.get("limits")) d.limits = TRY(resource(*l, rf.sub("limits")));
    if (const Node* l = rf.get("reservations")) d.reservations = TRY(resource(*l, rf.sub("reservations")));
    TRYV(rf.finish());
  }
  if (const Node* r = f.get("restart_policy")) {
    Fields rf = TRY(Fields::of(*r, f.sub("restart_policy")));
    RestartPolicy p;
    TRYV(rf.str("condition", p.condition));
    TRYV(rf.duration("delay", p.delay));
    std::optional<int64_t> attempts;
    TRYV(rf.integer("max_attempts", attempts));
    if (attempts) p.max_attempts = static_cast<uint64_t>(*attempts);
    TRYV(rf.duration("window", p.window));
    TRYV(rf.finish());
    d.restart_policy = p;
  }
  f.accept({"endpoint_mode", "placement", "rollback_config", "update_config"});
  TRYV(f.finish(&d.extensions));
  return d;
}

Result<FileReference> file_reference(const Node& n, const std::string& path, const std::string& default_dir) {
  Fields f = TRY(Fields::of(n, path));
  FileReference r;
  TRYV(f.str("source", r.source));
  TRYV(f.str("target", r.target));
  TRYV(f.str("uid", r.uid));
  TRYV(f.str("gid", r.gid));
  if (const Node* m = f.get("mode"); m && !m->is_null()) {
    // Octal as written in YAML 1.1 files ("0440") is what users mean.
    std::string s = TRY(as_string(*m, f.sub("mode")));
    int base = s.starts_with("0o") ? 8 : (s.size() > 1 && s[0] == '0' ? 8 : 10);
    if (s.starts_with("0o")) s = s.substr(2);
    char* end = nullptr;
    unsigned long v = std::strtoul(s.c_str(), &end, base);
    if (s.empty() || *end != 0 || v > 07777) return invalid_at(*m, f.sub("mode"), "invalid file mode");
    r.mode = static_cast<uint32_t>(v);
  }
  TRYV(f.finish(&r.extensions));
  if (r.source.empty()) return invalid_at(n, path, "missing source");
  if (r.target.empty()) r.target = default_dir + r.source;
  return r;
}

Result<std::map<std::string, Ulimit>> ulimits(Fields& f) {
  std::map<std::string, Ulimit> out;
  const Node* v = f.get("ulimits");
  if (!v || v->is_null()) return out;
  if (!v->is_mapping()) return invalid_at(*v, "", fmt::format("{} must be a mapping", f.sub("ulimits")));
  for (const auto& [name, limit] : v->entries) {
    std::string path = f.sub("ulimits") + "." + name;
    Ulimit u;
    if (limit.is_scalar()) {
      u.single = TRY(as_int(limit, path));
    } else {
      Fields lf = TRY(Fields::of(limit, path));
      std::optional<int64_t> soft, hard;
      TRYV(lf.integer("soft", soft));
      TRYV(lf.integer("hard", hard));
      TRYV(lf.finish());
      if (!soft || !hard) return invalid_at(limit, path, "soft and hard are required");
      u.soft = *soft;
      u.hard = *hard;
    }
    out[name] = u;
  }
  return out;
}

}  // namespace

Result<Service> convert_service(const std::string& name, const Node& node) {
  std::string path = "services." + name;
  Fields f = TRY(Fields::of(node, path));
  Service s;
  s.name = name;
  TRYV(f.strings("profiles", s.profiles));
  TRYV(f.str("image", s.image));
  if (const Node* b = f.get("build"); b && !b->is_null()) s.build = TRY(build(*b, f.sub("build")));
  TRYV(f.str("pull_policy", s.pull_policy));
  TRYV(f.str("platform", s.platform));
  TRYV(f.str("container_name", s.container_name));
  s.command = TRY(command_line(f, "command"));
  s.entrypoint = TRY(command_line(f, "entrypoint"));
  TRYV(f.optional_map("environment", s.environment));
  TRYV(f.string_map("labels", s.labels));
  TRYV(f.string_map("annotations", s.annotations));
  TRYV(f.str("user", s.user));
  TRYV(f.str("working_dir", s.working_dir));
  TRYV(f.str("hostname", s.hostname));
  TRYV(f.str("domainname", s.domainname));
  if (const Node* ports = TRY(sequence(f, "ports"))) {
    for (size_t i = 0; i < ports->items.size(); ++i)
      s.ports.push_back(TRY(port(ports->items[i], item_path(f.sub("ports"), i))));
  }
  if (const Node* expose = f.get("expose"); expose && expose->is_sequence()) {
    for (const Node& e : expose->items) s.expose.push_back(e.scalar);
  } else {
    TRYV(f.strings("expose", s.expose));
  }
  if (const Node* vols = TRY(sequence(f, "volumes"))) {
    for (size_t i = 0; i < vols->items.size(); ++i)
      s.volumes.push_back(TRY(mount(vols->items[i], item_path(f.sub("volumes"), i))));
  }
  TRYV(f.strings("volumes_from", s.volumes_from));
  TRYV(f.strings("tmpfs", s.tmpfs));
  if (const Node* nets = f.get("networks"); nets && !nets->is_null()) {
    if (!nets->is_mapping()) return invalid_at(*nets, "", fmt::format("{} must be a mapping", f.sub("networks")));
    for (const auto& [net, cfg] : nets->entries)
      s.networks[net] = TRY(service_network(cfg, f.sub("networks") + "." + net));
  }
  TRYV(f.str("network_mode", s.network_mode));
  TRYV(f.str("ipc", s.ipc));
  TRYV(f.str("pid", s.pid));
  TRYV(f.strings("links", s.links));
  TRYV(f.strings("external_links", s.external_links));
  TRYV(f.str("mac_address", s.mac_address));
  if (const Node* deps = f.get("depends_on"); deps && !deps->is_null()) {
    if (!deps->is_mapping()) return invalid_at(*deps, "", fmt::format("{} must be a mapping", f.sub("depends_on")));
    for (const auto& [dep, cfg] : deps->entries)
      s.depends_on[dep] = TRY(dependency(cfg, f.sub("depends_on") + "." + dep));
  }
  if (const Node* h = f.get("healthcheck"); h && !h->is_null()) s.healthcheck = TRY(healthcheck(*h, f.sub("healthcheck")));
  TRYV(f.str("restart", s.restart));
  if (const Node* d = f.get("deploy"); d && !d->is_null()) s.deploy = TRY(deploy(*d, f.sub("deploy")));
  TRYV(f.integer("scale", s.scale));
  TRYV(f.boolean("init", s.init));
  TRYV(f.duration("stop_grace_period", s.stop_grace_period));
  TRYV(f.str("stop_signal", s.stop_signal));
  TRYV(f.strings("cap_add", s.cap_add));
  TRYV(f.strings("cap_drop", s.cap_drop));
  TRYV(f.boolean("privileged", s.privileged));
  TRYV(f.strings("security_opt", s.security_opt));
  if (const Node* devs = TRY(sequence(f, "devices"))) {
    for (size_t i = 0; i < devs->items.size(); ++i) {
      Fields df = TRY(Fields::of(devs->items[i], item_path(f.sub("devices"), i)));
      DeviceMapping d;
      TRYV(df.str("source", d.source));
      TRYV(df.str("target", d.target));
      TRYV(df.str("permissions", d.permissions));
      TRYV(df.finish());
      if (d.target.empty()) d.target = d.source;
      if (d.permissions.empty()) d.permissions = "rwm";
      s.devices.push_back(d);
    }
  }
  TRYV(f.strings("device_cgroup_rules", s.device_cgroup_rules));
  TRYV(f.strings("group_add", s.group_add));
  TRYV(f.boolean("read_only", s.read_only));
  TRYV(f.boolean("tty", s.tty));
  TRYV(f.boolean("stdin_open", s.stdin_open));
  TRYV(f.extra_hosts("extra_hosts", s.extra_hosts));
  TRYV(f.strings("dns", s.dns));
  TRYV(f.strings("dns_search", s.dns_search));
  TRYV(f.strings("dns_opt", s.dns_opt));
  TRYV(f.string_map("sysctls", s.sysctls));
  s.ulimits = TRY(ulimits(f));
  TRYV(f.bytes("shm_size", s.shm_size));
  TRYV(f.bytes("mem_limit", s.mem_limit));
  TRYV(f.bytes("mem_reservation", s.mem_reservation));
  TRYV(f.bytes("memswap_limit", s.memswap_limit));
  TRYV(f.number("cpus", s.cpus));
  TRYV(f.integer("cpu_shares", s.cpu_shares));
  TRYV(f.integer("pids_limit", s.pids_limit));
  TRYV(f.integer("cpu_quota", s.cpu_quota));
  TRYV(f.integer("cpu_period", s.cpu_period));
  TRYV(f.str("cpuset", s.cpuset));
  TRYV(f.integer("mem_swappiness", s.mem_swappiness));
  TRYV(f.boolean("oom_kill_disable", s.oom_kill_disable));
  TRYV(f.integer("oom_score_adj", s.oom_score_adj));
  TRYV(f.str("cgroup_parent", s.cgroup_parent));
  TRYV(f.str("runtime", s.runtime));
  TRYV(f.str("userns_mode", s.userns_mode));
  TRYV(f.str("uts", s.uts));
  if (const Node* l = f.get("logging"); l && !l->is_null()) {
    Fields lf = TRY(Fields::of(*l, f.sub("logging")));
    Logging logging;
    TRYV(lf.str("driver", logging.driver));
    TRYV(lf.string_map("options", logging.options));
    TRYV(lf.finish());
    s.logging = logging;
  }
  for (const char* kind : {"configs", "secrets"}) {
    if (const Node* refs = TRY(sequence(f, kind))) {
      std::string dir = std::string_view(kind) == "secrets" ? "/run/secrets/" : "/";
      auto& out = std::string_view(kind) == "secrets" ? s.secrets : s.configs;
      for (size_t i = 0; i < refs->items.size(); ++i)
        out.push_back(TRY(file_reference(refs->items[i], item_path(f.sub(kind), i), dir)));
    }
  }
  // Folded into environment by the loader before conversion.
  f.accept({"env_file", "extends"});
  // In the specification, not (yet) carried by the model: accepted and dropped.
  f.accept({"attach", "blkio_config", "credential_spec", "develop", "isolation", "label_file", "post_start", "pre_stop",
            "models", "provider", "use_api_socket"});
  // Settings berthd cannot honour: said at once, not dropped.
  for (const char* key : {"cgroup", "cpu_count", "cpu_percent", "cpu_rt_period", "cpu_rt_runtime", "gpus", "storage_opt"})
    if (const Node* n = f.get(key); n && !n->is_null())
      return invalid_at(*n, f.sub(key), fmt::format("service \"{}\": {} is not supported by berth", name, key));
  TRYV(f.finish(&s.extensions));
  if (s.image.empty() && !s.build) {
    return invalid_at(node, "", fmt::format("service \"{}\" has neither an image nor a build context specified", name));
  }
  if (s.restart != "" && s.restart != "no" && s.restart != "always" && s.restart != "unless-stopped" &&
      s.restart != "on-failure" && !s.restart.starts_with("on-failure:")) {
    return invalid_at(node, f.sub("restart"), fmt::format("invalid restart policy \"{}\"", s.restart));
  }
  return s;
}

}  // namespace berth::compose
