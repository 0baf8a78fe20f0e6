#include "spec/runtime_spec.h"

#include <cstdint>
#include <set>

#include "base/file.h"
#include "spec/json_reader.h"

namespace berth::spec {
namespace {

using nlohmann::json;

// A signed 32-bit field: refuses values that a cast would silently wrap.
std::optional<int32_t> opt_i32(const JsonReader& r, const char* key) {
  auto v = r.opt_i64(key);
  if (v && (*v < INT32_MIN || *v > INT32_MAX)) r.error(key, "number out of range");
  if (!v) return std::nullopt;
  return static_cast<int32_t>(*v);
}

std::vector<IdMapping> read_id_mappings(const JsonReader& r, const char* key) {
  std::vector<IdMapping> out;
  r.each(key, [&](const JsonReader& m) {
    IdMapping im;
    im.container_id = m.opt_u32("containerID").value_or(0);
    im.host_id = m.opt_u32("hostID").value_or(0);
    im.size = m.opt_u32("size").value_or(0);
    if (im.size == 0) m.error("size", "must be greater than 0");
    out.push_back(im);
  });
  return out;
}

Capabilities read_caps(const JsonReader& r) {
  Capabilities c;
  c.bounding = r.strings("bounding");
  c.effective = r.strings("effective");
  c.inheritable = r.strings("inheritable");
  c.permitted = r.strings("permitted");
  c.ambient = r.strings("ambient");
  return c;
}

Process read_process(const JsonReader& r) {
  Process p;
  p.terminal = r.boolean("terminal");
  if (r.has("consoleSize")) {
    auto cs = r.child("consoleSize");
    p.console_size = ConsoleSize{cs.opt_u32("height").value_or(0), cs.opt_u32("width").value_or(0)};
  }
  if (r.has("user")) {
    auto u = r.child("user");
    p.user.uid = u.opt_u32("uid").value_or(0);
    p.user.gid = u.opt_u32("gid").value_or(0);
    p.user.umask = u.opt_u32("umask");
    if (u.has("additionalGids")) {
      u.each("additionalGids", [&](const JsonReader& g) {
        if (!g.json().is_number_unsigned() || g.json().get<uint64_t>() > UINT32_MAX)
          throw FieldError(g.path() + ": expected a gid (0 to 4294967295)");
        p.user.additional_gids.push_back(static_cast<uint32_t>(g.json().get<uint64_t>()));
      });
    }
    p.user.username = u.str("username");
  }
  p.args = r.strings("args");
  if (r.has("commandLine")) r.error("commandLine", "is for Windows and not supported on Linux");
  p.env = r.strings("env");
  p.cwd = r.str("cwd", "/");
  if (p.cwd.empty() || p.cwd[0] != '/') r.error("cwd", "must be an absolute path, got '" + p.cwd + "'");
  if (r.has("capabilities")) p.capabilities = read_caps(r.child("capabilities"));
  std::set<std::string> seen;
  r.each("rlimits", [&](const JsonReader& l) {
    Rlimit rl;
    rl.type = l.str("type");
    if (rl.type.empty()) l.error("type", "is required");
    if (!seen.insert(rl.type).second) l.error("type", "duplicate rlimit " + rl.type);
    rl.hard = l.opt_u64("hard").value_or(0);
    rl.soft = l.opt_u64("soft").value_or(0);
    if (rl.soft > rl.hard) l.error("soft", "is greater than hard for " + rl.type);
    p.rlimits.push_back(rl);
  });
  p.no_new_privileges = r.boolean("noNewPrivileges");
  p.apparmor_profile = r.str("apparmorProfile");
  if (auto v = r.opt_i64("oomScoreAdj")) {
    if (*v < -1000 || *v > 1000) r.error("oomScoreAdj", "must be between -1000 and 1000");
    p.oom_score_adj = static_cast<int>(*v);
  }
  p.selinux_label = r.str("selinuxLabel");
  if (r.has("ioPriority")) {
    auto io = r.child("ioPriority");
    p.io_priority = IoPriority{io.str("class"), opt_i32(io, "priority").value_or(0)};
  }
  if (r.has("scheduler")) {
    auto s = r.child("scheduler");
    Scheduler sc;
    sc.policy = s.str("policy");
    sc.nice = opt_i32(s, "nice").value_or(0);
    sc.priority = opt_i32(s, "priority").value_or(0);
    sc.flags = s.strings("flags");
    sc.runtime = s.opt_u64("runtime").value_or(0);
    sc.deadline = s.opt_u64("deadline").value_or(0);
    sc.period = s.opt_u64("period").value_or(0);
    p.scheduler = sc;
  }
  return p;
}

std::vector<Hook> read_hooks(const JsonReader& r, const char* key) {
  std::vector<Hook> out;
  r.each(key, [&](const JsonReader& h) {
    Hook hk;
    hk.path = h.str("path");
    if (hk.path.empty() || hk.path[0] != '/') h.error("path", "must be an absolute path");
    hk.args = h.strings("args");
    hk.env = h.strings("env");
    if (auto t = opt_i32(h, "timeout")) {
      if (*t <= 0) h.error("timeout", "must be greater than zero");
      hk.timeout = *t;
    }
    out.push_back(std::move(hk));
  });
  return out;
}

Hooks read_all_hooks(const JsonReader& r) {
  Hooks h;
  h.prestart = read_hooks(r, "prestart");
  h.create_runtime = read_hooks(r, "createRuntime");
  h.create_container = read_hooks(r, "createContainer");
  h.start_container = read_hooks(r, "startContainer");
  h.poststart = read_hooks(r, "poststart");
  h.poststop = read_hooks(r, "poststop");
  return h;
}

Memory read_memory(const JsonReader& r) {
  Memory m;
  m.limit = r.opt_i64("limit");
  m.reservation = r.opt_i64("reservation");
  m.swap = r.opt_i64("swap");
  m.kernel = r.opt_i64("kernel");
  m.kernel_tcp = r.opt_i64("kernelTCP");
  m.swappiness = r.opt_u64("swappiness");
  if (m.swappiness && *m.swappiness > 100) r.error("swappiness", "must be between 0 and 100");
  m.disable_oom_killer = r.opt_bool("disableOOMKiller");
  m.use_hierarchy = r.opt_bool("useHierarchy");
  m.check_before_update = r.opt_bool("checkBeforeUpdate");
  if (m.limit && *m.limit < -1) r.error("limit", "must be -1 (unlimited) or a number of bytes");
  if (m.swap && *m.swap < -1) r.error("swap", "must be -1 (unlimited) or a number of bytes");
  if (m.limit && m.swap && *m.limit > 0 && *m.swap > 0 && *m.swap < *m.limit)
    r.error("swap", "memory+swap limit (" + std::to_string(*m.swap) +
                        ") must not be smaller than the memory limit (" + std::to_string(*m.limit) + ")");
  return m;
}

Cpu read_cpu(const JsonReader& r) {
  Cpu c;
  c.shares = r.opt_u64("shares");
  c.quota = r.opt_i64("quota");
  c.burst = r.opt_u64("burst");
  c.period = r.opt_u64("period");
  c.realtime_runtime = r.opt_i64("realtimeRuntime");
  c.realtime_period = r.opt_u64("realtimePeriod");
  c.cpus = r.str("cpus");
  c.mems = r.str("mems");
  c.idle = r.opt_i64("idle");
  return c;
}

BlockIo read_blkio(const JsonReader& r) {
  BlockIo b;
  auto u16 = [&](const JsonReader& x, const char* k) -> std::optional<uint16_t> {
    auto v = x.opt_u64(k);
    if (!v) return std::nullopt;
    if (*v > 65535) x.error(k, "out of range");
    return static_cast<uint16_t>(*v);
  };
  b.weight = u16(r, "weight");
  b.leaf_weight = u16(r, "leafWeight");
  r.each("weightDevice", [&](const JsonReader& d) {
    WeightDevice w;
    w.major = d.opt_i64("major").value_or(0);
    w.minor = d.opt_i64("minor").value_or(0);
    w.weight = u16(d, "weight");
    w.leaf_weight = u16(d, "leafWeight");
    b.weight_device.push_back(w);
  });
  auto throttle = [&](const char* key, std::vector<ThrottleDevice>& out) {
    r.each(key, [&](const JsonReader& d) {
      out.push_back(ThrottleDevice{d.opt_i64("major").value_or(0), d.opt_i64("minor").value_or(0),
                                   d.opt_u64("rate").value_or(0)});
    });
  };
  throttle("throttleReadBpsDevice", b.throttle_read_bps);
  throttle("throttleWriteBpsDevice", b.throttle_write_bps);
  throttle("throttleReadIOPSDevice", b.throttle_read_iops);
  throttle("throttleWriteIOPSDevice", b.throttle_write_iops);
  return b;
}

Resources read_resources(const JsonReader& r) {
  Resources res;
  r.each("devices", [&](const JsonReader& d) {
    DeviceRule rule;
    rule.allow = d.boolean("allow");
    rule.type = d.str("type", "a");
    if (rule.type != "a" && rule.type != "b" && rule.type != "c")
      d.error("type", "must be a, b or c, got '" + rule.type + "'");
    rule.major = d.opt_i64("major");
    rule.minor = d.opt_i64("minor");
    rule.access = d.str("access", "rwm");
    for (char c : rule.access)
      if (c != 'r' && c != 'w' && c != 'm') d.error("access", "may only hold r, w and m");
    res.devices.push_back(rule);
  });
  if (r.has("memory")) res.memory = read_memory(r.child("memory"));
  if (r.has("cpu")) res.cpu = read_cpu(r.child("cpu"));
  if (r.has("pids")) {
    auto p = r.child("pids");
    res.pids = Pids{p.opt_i64("limit").value_or(0)};
  }
  if (r.has("blockIO")) res.block_io = read_blkio(r.child("blockIO"));
  r.each("hugepageLimits", [&](const JsonReader& h) {
    HugepageLimit hl{h.str("pageSize"), h.opt_u64("limit").value_or(0)};
    if (hl.page_size.empty()) h.error("pageSize", "is required");
    res.hugepage_limits.push_back(hl);
  });
  if (r.has("network")) {
    auto n = r.child("network");
    Network net;
    net.class_id = n.opt_u32("classID");
    n.each("priorities", [&](const JsonReader& p) {
      net.priorities.push_back(NetPriority{p.str("name"), p.opt_u32("priority").value_or(0)});
    });
    res.network = net;
  }
  res.unified = r.string_map("unified");
  if (r.has("rdma")) r.error("rdma", "the rdma cgroup controller is not supported");
  return res;
}

Seccomp read_seccomp(const JsonReader& r) {
  Seccomp s;
  s.default_action = r.str("defaultAction");
  if (s.default_action.empty()) r.error("defaultAction", "is required");
  s.default_errno_ret = r.opt_u32("defaultErrnoRet");
  s.architectures = r.strings("architectures");
  s.flags = r.strings("flags");
  s.listener_path = r.str("listenerPath");
  s.listener_metadata = r.str("listenerMetadata");
  r.each("syscalls", [&](const JsonReader& sc) {
    SeccompSyscall c;
    c.names = sc.strings("names");
    if (c.names.empty()) sc.error("names", "must list at least one syscall");
    c.action = sc.str("action");
    if (c.action.empty()) sc.error("action", "is required");
    c.errno_ret = sc.opt_u32("errnoRet");
    sc.each("args", [&](const JsonReader& a) {
      SeccompArg arg;
      arg.index = a.opt_u32("index").value_or(0);
      if (arg.index > 5) a.error("index", "must be between 0 and 5");
      arg.value = a.opt_u64("value").value_or(0);
      arg.value_two = a.opt_u64("valueTwo").value_or(0);
      arg.op = a.str("op");
      if (arg.op.empty()) a.error("op", "is required");
      c.args.push_back(arg);
    });
    s.syscalls.push_back(std::move(c));
  });
  return s;
}

const std::set<std::string>& known_namespaces() {
  static const std::set<std::string> k = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"};
  return k;
}

Linux read_linux(const JsonReader& r) {
  Linux l;
  std::set<std::string> seen;
  r.each("namespaces", [&](const JsonReader& n) {
    Namespace ns{n.str("type"), n.str("path")};
    if (!known_namespaces().count(ns.type)) n.error("type", "unknown namespace type '" + ns.type + "'");
    if (!seen.insert(ns.type).second) n.error("type", "namespace '" + ns.type + "' listed twice");
    if (!ns.path.empty() && ns.path[0] != '/') n.error("path", "must be an absolute path");
    l.namespaces.push_back(ns);
  });
  l.uid_mappings = read_id_mappings(r, "uidMappings");
  l.gid_mappings = read_id_mappings(r, "gidMappings");
  r.each("devices", [&](const JsonReader& d) {
    Device dev;
    dev.type = d.str("type");
    if (dev.type != "c" && dev.type != "b" && dev.type != "u" && dev.type != "p")
      d.error("type", "must be c, b, u or p, got '" + dev.type + "'");
    dev.path = d.str("path");
    if (dev.path.empty() || dev.path[0] != '/') d.error("path", "must be an absolute path");
    dev.major = d.opt_i64("major").value_or(0);
    dev.minor = d.opt_i64("minor").value_or(0);
    dev.file_mode = d.opt_u32("fileMode");
    dev.uid = d.opt_u32("uid");
    dev.gid = d.opt_u32("gid");
    l.devices.push_back(dev);
  });
  l.cgroups_path = r.str("cgroupsPath");
  if (r.has("resources")) l.resources = read_resources(r.child("resources"));
  l.sysctl = r.string_map("sysctl");
  if (r.has("seccomp")) {
    l.seccomp = read_seccomp(r.child("seccomp"));
    l.seccomp_json = r.json()["seccomp"].dump();
  }
  l.rootfs_propagation = r.str("rootfsPropagation");
  static const std::set<std::string> props = {"", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"};
  if (!props.count(l.rootfs_propagation))
    r.error("rootfsPropagation", "unknown propagation '" + l.rootfs_propagation + "'");
  l.masked_paths = r.strings("maskedPaths");
  l.readonly_paths = r.strings("readonlyPaths");
  l.mount_label = r.str("mountLabel");
  l.has_intel_rdt = r.has("intelRdt");
  if (r.has("personality")) {
    auto p = r.child("personality");
    l.personality = Personality{p.str("domain"), p.strings("flags")};
  }
  if (r.has("timeOffsets")) {
    auto t = r.child("timeOffsets");
    for (auto it = t.json().begin(); it != t.json().end(); ++it) {
      JsonReader o(it.value(), t.field(it.key().c_str()));
      l.time_offsets[it.key()] = {o.opt_i64("secs").value_or(0), o.opt_u32("nanosecs").value_or(0)};
    }
  }
  return l;
}

std::vector<Mount> read_mounts(const JsonReader& r) {
  std::vector<Mount> out;
  r.each("mounts", [&](const JsonReader& m) {
    Mount mt;
    mt.destination = m.str("destination");
    if (mt.destination.empty()) m.error("destination", "is required");
    if (mt.destination[0] != '/') mt.destination = "/" + mt.destination;
    mt.type = m.str("type");
    mt.source = m.str("source");
    mt.options = m.strings("options");
    mt.uid_mappings = read_id_mappings(m, "uidMappings");
    mt.gid_mappings = read_id_mappings(m, "gidMappings");
    out.push_back(std::move(mt));
  });
  return out;
}

template <class T, class F>
Result<T> parse_with(const std::string& text, const char* what, F f) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return fail(Errc::InvalidArgument, std::string(what) + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) return fail(Errc::InvalidArgument, std::string(what) + ": expected a JSON object");
  try {
    return f(JsonReader(j, ""));
  } catch (const FieldError& e) {
    return fail(Errc::InvalidArgument, std::string(what) + ": " + e.what());
  } catch (const json::exception& e) {
    return fail(Errc::InvalidArgument, std::string(what) + ": " + e.what());
  }
}

}  // namespace

const Namespace* Linux::find_namespace(const std::string& type) const {
  for (const auto& ns : namespaces)
    if (ns.type == type) return &ns;
  return nullptr;
}

Result<Spec> parse_spec(const std::string& text) {
  return parse_with<Spec>(text, "config.json", [](const JsonReader& r) {
    Spec s;
    s.oci_version = r.str("ociVersion");
    if (s.oci_version.empty()) r.error("ociVersion", "is required");
    if (s.oci_version.rfind("1.", 0) != 0)
      r.error("ociVersion", "unsupported version '" + s.oci_version + "' (1.x is supported)");
    if (r.has("process")) s.process = read_process(r.child("process"));
    if (!r.has("root")) r.error("root", "is required");
    auto root = r.child("root");
    s.root.path = root.str("path");
    if (s.root.path.empty()) root.error("path", "is required");
    s.root.readonly = root.boolean("readonly");
    s.hostname = r.str("hostname");
    s.domainname = r.str("domainname");
    s.mounts = read_mounts(r);
    if (r.has("hooks")) s.hooks = read_all_hooks(r.child("hooks"));
    s.annotations = r.string_map("annotations");
    if (r.has("linux")) s.linux = read_linux(r.child("linux"));
    return s;
  });
}

Result<Process> parse_process(const std::string& text) {
  return parse_with<Process>(text, "process", [](const JsonReader& r) { return read_process(r); });
}

Result<Resources> parse_resources(const std::string& text) {
  return parse_with<Resources>(text, "resources", [](const JsonReader& r) { return read_resources(r); });
}

Result<Spec> load_bundle_spec(const std::string& bundle) {
  std::string path = bundle + "/config.json";
  auto text = read_file(path);
  if (!text) {
    if (text.error().sys_errno == ENOENT)
      return fail(Errc::NotFound, "no config.json in bundle " + bundle);
    return std::unexpected(text.error());
  }
  return parse_spec(*text);
}

nlohmann::json hooks_to_json(const Hooks& hooks) {
  auto list = [](const std::vector<Hook>& hs) {
    json a = json::array();
    for (const auto& h : hs) {
      json o = {{"path", h.path}};
      if (!h.args.empty()) o["args"] = h.args;
      if (!h.env.empty()) o["env"] = h.env;
      if (h.timeout) o["timeout"] = *h.timeout;
      a.push_back(o);
    }
    return a;
  };
  return json{{"prestart", list(hooks.prestart)},       {"createRuntime", list(hooks.create_runtime)},
              {"createContainer", list(hooks.create_container)},
              {"startContainer", list(hooks.start_container)},
              {"poststart", list(hooks.poststart)},     {"poststop", list(hooks.poststop)}};
}

Result<Hooks> hooks_from_json(const nlohmann::json& j) {
  try {
    return read_all_hooks(JsonReader(j, "hooks"));
  } catch (const FieldError& e) {
    return fail(Errc::InvalidArgument, e.what());
  }
}

}  // namespace berth::spec
