#include "vmproto/messages.h"

#include <algorithm>
#include <limits>

namespace berth::vmproto {
namespace {

using nlohmann::json;

// Field readers: type and range checked, an error value naming the message and
// field. Optional fields may be absent or null.
const json* find(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::unexpected<Error> bad(const char* what, const char* name, const std::string& why) {
  return fail(Errc::InvalidArgument, std::string(what) + ": field \"" + name + "\" " + why);
}

Result<std::string> str(const json& j, const char* name, const char* what, bool required = true) {
  const json* v = find(j, name);
  if (!v) {
    if (required) return bad(what, name, "is missing");
    return std::string();
  }
  if (!v->is_string()) return bad(what, name, "is not a string");
  return v->get<std::string>();
}

Result<bool> boolean(const json& j, const char* name, const char* what) {
  const json* v = find(j, name);
  if (!v) return false;
  if (!v->is_boolean()) return bad(what, name, "is not a boolean");
  return v->get<bool>();
}

Result<uint64_t> unsigned_num(const json& j, const char* name, const char* what, uint64_t max, bool required) {
  const json* v = find(j, name);
  if (!v) {
    if (required) return bad(what, name, "is missing");
    return 0;
  }
  if (!v->is_number_integer()) return bad(what, name, "is not an integer");
  if (v->is_number_unsigned()) {
    uint64_t n = v->get<uint64_t>();
    if (n > max) return bad(what, name, "is out of range (" + std::to_string(n) + ")");
    return n;
  }
  int64_t n = v->get<int64_t>();
  if (n < 0) return bad(what, name, "is negative (" + std::to_string(n) + ")");
  if (static_cast<uint64_t>(n) > max) return bad(what, name, "is out of range (" + std::to_string(n) + ")");
  return static_cast<uint64_t>(n);
}

Result<int64_t> signed_num(const json& j, const char* name, const char* what, int64_t min, int64_t max) {
  const json* v = find(j, name);
  if (!v) return bad(what, name, "is missing");
  if (!v->is_number_integer()) return bad(what, name, "is not an integer");
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max))
    return bad(what, name, "is out of range");
  int64_t n = v->get<int64_t>();
  if (n < min || n > max) return bad(what, name, "is out of range (" + std::to_string(n) + ")");
  return n;
}

Result<void> object(const json& j, const char* what) {
  if (!j.is_object()) return fail(Errc::InvalidArgument, std::string(what) + ": not a JSON object");
  return {};
}

template <class T>
Result<std::vector<T>> list(const json& j, const char* name, const char* what) {
  std::vector<T> out;
  const json* v = find(j, name);
  if (!v) return out;
  if (!v->is_array()) return bad(what, name, "is not an array");
  for (const auto& e : *v) out.push_back(TRY_CTX(T::from_json(e), std::string(what) + ": " + name));
  return out;
}

template <class T>
json list_json(const std::vector<T>& v) {
  json a = json::array();
  for (const auto& e : v) a.push_back(e.to_json());
  return a;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  };
  return std::all_of(id.begin(), id.end(), ok) && id[0] != '.' && id[0] != '-';
}

Result<std::string> container_id(const json& j, const char* name, const char* what) {
  std::string id = TRY(str(j, name, what));
  if (!valid_id(id)) return bad(what, name, "is not a valid container id (\"" + id.substr(0, 64) + "\")");
  return id;
}

Result<uint32_t> process_stream(const json& j, const char* what) {
  uint64_t s = TRY(unsigned_num(j, "stream", what, std::numeric_limits<uint32_t>::max(), true));
  if (s == 0) return bad(what, "stream", "is 0, the control stream");
  return static_cast<uint32_t>(s);
}

Result<std::optional<TtySize>> read_tty_size(const json& j, const char* what) {
  const json* v = find(j, "tty_size");
  if (!v) return std::optional<TtySize>();
  return std::optional<TtySize>(TRY_CTX(TtySize::from_json(*v), std::string(what) + ": tty_size"));
}

bool absolute_path(const std::string& p) { return !p.empty() && p[0] == '/' && p.find('\0') == std::string::npos; }

}  // namespace

Result<json> parse_json(std::string_view payload, const char* what) {
  json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(Errc::InvalidArgument, std::string(what) + ": payload is not valid JSON");
  return j;
}

std::string dump_json(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// --- Hello ------------------------------------------------------------------

json Hello::to_json() const {
  json j = {{"version", version}, {"min_version", min_version}, {"software", software}};
  if (!kernel.empty()) j["kernel"] = kernel;
  return j;
}

Result<Hello> Hello::from_json(const json& j) {
  const char* what = "vm agent hello";
  TRYV(object(j, what));
  Hello h;
  h.version = static_cast<uint32_t>(TRY(unsigned_num(j, "version", what, UINT32_MAX, true)));
  h.min_version = static_cast<uint32_t>(TRY(unsigned_num(j, "min_version", what, UINT32_MAX, true)));
  if (h.min_version > h.version || h.min_version == 0)
    return fail(Errc::InvalidArgument, std::string(what) + ": min_version " + std::to_string(h.min_version) +
                                           " is not within 1.." + std::to_string(h.version));
  h.software = TRY(str(j, "software", what, false));
  h.kernel = TRY(str(j, "kernel", what, false));
  return h;
}

Result<uint32_t> negotiate(const Hello& mine, const Hello& theirs) {
  uint32_t hi = std::min(mine.version, theirs.version);
  uint32_t lo = std::max(mine.min_version, theirs.min_version);
  if (hi < lo)
    return fail(Errc::Unsupported, "vm agent protocol: this side speaks versions " + std::to_string(mine.min_version) +
                                       ".." + std::to_string(mine.version) + ", the peer (" +
                                       (theirs.software.empty() ? "unnamed" : theirs.software) + ") " +
                                       std::to_string(theirs.min_version) + ".." + std::to_string(theirs.version));
  return hi;
}

// --- Request / Reply ----------------------------------------------------------

json Request::to_json() const { return {{"id", id}, {"op", op}, {"args", args}}; }

Result<Request> Request::from_json(const json& j) {
  const char* what = "vm agent request";
  TRYV(object(j, what));
  Request r;
  r.id = TRY(unsigned_num(j, "id", what, UINT64_MAX, true));
  r.op = TRY(str(j, "op", what));
  if (r.op.empty()) return bad(what, "op", "is empty");
  if (const json* a = find(j, "args")) {
    if (!a->is_object()) return bad(what, "args", "is not an object");
    r.args = *a;
  }
  return r;
}

json Reply::to_json() const {
  json j = {{"id", id}};
  if (error) {
    // The guest's errno text is folded into the message: the host has its own errno table.
    j["error"] = {{"code", errc_code(error->code)}, {"message", error->str()}};
  } else {
    j["result"] = result;
  }
  return j;
}

Result<Reply> Reply::from_json(const json& j) {
  const char* what = "vm agent reply";
  TRYV(object(j, what));
  Reply r;
  r.id = TRY(unsigned_num(j, "id", what, UINT64_MAX, true));
  if (const json* e = find(j, "error")) {
    if (!e->is_object()) return bad(what, "error", "is not an object");
    Error err;
    err.code = errc_from_code(TRY(str(*e, "code", "vm agent reply error")));
    err.message = TRY(str(*e, "message", "vm agent reply error"));
    r.error = std::move(err);
  } else if (const json* res = find(j, "result")) {
    if (!res->is_object()) return bad(what, "result", "is not an object");
    r.result = *res;
  }
  return r;
}

Reply Reply::ok(uint64_t id, json result) {
  Reply r;
  r.id = id;
  r.result = std::move(result);
  return r;
}

Reply Reply::failed(uint64_t id, const Error& e) {
  Reply r;
  r.id = id;
  r.error = e;
  return r;
}

// --- argument types ------------------------------------------------------------

json TtySize::to_json() const { return {{"h", rows}, {"w", cols}}; }

Result<TtySize> TtySize::from_json(const json& j) {
  const char* what = "terminal size";
  TRYV(object(j, what));
  TtySize t;
  t.rows = static_cast<uint16_t>(TRY(unsigned_num(j, "h", what, UINT16_MAX, true)));
  t.cols = static_cast<uint16_t>(TRY(unsigned_num(j, "w", what, UINT16_MAX, true)));
  return t;
}

json Share::to_json() const {
  return {{"tag", tag}, {"fstype", fstype}, {"target", target}, {"readonly", readonly}};
}

Result<Share> Share::from_json(const json& j) {
  const char* what = "share";
  TRYV(object(j, what));
  Share s;
  s.tag = TRY(str(j, "tag", what));
  // virtio-fs tags are at most 36 bytes; 9p's mount_tag is similar.
  if (s.tag.empty() || s.tag.size() > 36 || s.tag.find_first_of(std::string_view("\0,/ ", 4)) != std::string::npos)
    return bad(what, "tag", "must be 1..36 bytes without '/', ',', spaces or NUL");
  s.fstype = TRY(str(j, "fstype", what));
  if (s.fstype != "virtiofs" && s.fstype != "9p")
    return bad(what, "fstype", "must be \"virtiofs\" or \"9p\", not \"" + s.fstype.substr(0, 32) + "\"");
  s.target = TRY(str(j, "target", what));
  if (!absolute_path(s.target) || s.target == "/") return bad(what, "target", "must be an absolute path other than /");
  s.readonly = TRY(boolean(j, "readonly", what));
  return s;
}

json CreateContainer::to_json() const {
  json j = {{"id", id}, {"stream", stream}, {"config", config}, {"shares", list_json(shares)},
            {"stdin_open", stdin_open}};
  if (tty_size) j["tty_size"] = tty_size->to_json();
  return j;
}

Result<CreateContainer> CreateContainer::from_json(const json& j) {
  const char* what = "create";
  TRYV(object(j, what));
  CreateContainer c;
  c.id = TRY(container_id(j, "id", what));
  c.stream = TRY(process_stream(j, what));
  const json* cfg = find(j, "config");
  if (!cfg || !cfg->is_object()) return bad(what, "config", "must be the OCI config object");
  const json* proc = find(*cfg, "process");
  if (!proc || !proc->is_object()) return bad(what, "config", "has no \"process\" object");
  const json* root = find(*cfg, "root");
  if (!root || !root->is_object()) return bad(what, "config", "has no \"root\" object");
  std::string rp = TRY(str(*root, "path", "create: config.root"));
  if (!absolute_path(rp)) return bad(what, "config", "root.path must be an absolute guest path");
  c.config = *cfg;
  c.shares = TRY(list<Share>(j, "shares", what));
  c.stdin_open = TRY(boolean(j, "stdin_open", what));
  c.tty_size = TRY(read_tty_size(j, what));
  return c;
}

json ContainerRef::to_json() const { return {{"id", id}}; }

Result<ContainerRef> ContainerRef::from_json(const json& j) {
  TRYV(object(j, "container"));
  ContainerRef r;
  r.id = TRY(container_id(j, "id", "container"));
  return r;
}

json ExecProcess::to_json() const {
  json j = {{"container", container}, {"stream", stream}, {"process", process}, {"stdin_open", stdin_open}};
  if (tty_size) j["tty_size"] = tty_size->to_json();
  return j;
}

Result<ExecProcess> ExecProcess::from_json(const json& j) {
  const char* what = "exec";
  TRYV(object(j, what));
  ExecProcess e;
  e.container = TRY(container_id(j, "container", what));
  e.stream = TRY(process_stream(j, what));
  const json* p = find(j, "process");
  if (!p || !p->is_object()) return bad(what, "process", "must be an OCI process object");
  const json* args = find(*p, "args");
  if (!args || !args->is_array() || args->empty()) return bad(what, "process", "has no args");
  e.process = *p;
  e.stdin_open = TRY(boolean(j, "stdin_open", what));
  e.tty_size = TRY(read_tty_size(j, what));
  return e;
}

json SignalProcess::to_json() const { return {{"stream", stream}, {"signal", signal}, {"all", all}}; }

Result<SignalProcess> SignalProcess::from_json(const json& j) {
  const char* what = "signal";
  TRYV(object(j, what));
  SignalProcess s;
  s.stream = TRY(process_stream(j, what));
  s.signal = static_cast<int>(TRY(signed_num(j, "signal", what, 1, 64)));
  s.all = TRY(boolean(j, "all", what));
  return s;
}

json WaitProcess::to_json() const { return {{"stream", stream}}; }

Result<WaitProcess> WaitProcess::from_json(const json& j) {
  TRYV(object(j, "wait"));
  WaitProcess w;
  w.stream = TRY(process_stream(j, "wait"));
  return w;
}

json ExitStatus::to_json() const {
  return {{"exit_code", exit_code}, {"signal", signal}, {"oom_killed", oom_killed}};
}

Result<ExitStatus> ExitStatus::from_json(const json& j) {
  const char* what = "exit status";
  TRYV(object(j, what));
  ExitStatus s;
  s.exit_code = static_cast<int>(TRY(signed_num(j, "exit_code", what, 0, 255)));
  if (find(j, "signal")) s.signal = static_cast<int>(TRY(signed_num(j, "signal", what, 0, 64)));
  s.oom_killed = TRY(boolean(j, "oom_killed", what));
  return s;
}

json ContainerStats::to_json() const {
  return {{"cpu_usage_ns", cpu_usage_ns},
          {"cpu_user_ns", cpu_user_ns},
          {"cpu_system_ns", cpu_system_ns},
          {"system_cpu_ns", system_cpu_ns},
          {"online_cpus", online_cpus},
          {"memory_usage", memory_usage},
          {"memory_limit", memory_limit},
          {"memory_max_usage", memory_max_usage},
          {"memory_stat", memory_stat},
          {"pids_current", pids_current},
          {"pids_limit", pids_limit},
          {"guest_mem_total", guest_mem_total},
          {"guest_mem_available", guest_mem_available}};
}

Result<ContainerStats> ContainerStats::from_json(const json& j) {
  const char* what = "stats";
  TRYV(object(j, what));
  ContainerStats s;
  auto u = [&](const char* name) { return unsigned_num(j, name, what, UINT64_MAX, false); };
  s.cpu_usage_ns = TRY(u("cpu_usage_ns"));
  s.cpu_user_ns = TRY(u("cpu_user_ns"));
  s.cpu_system_ns = TRY(u("cpu_system_ns"));
  s.system_cpu_ns = TRY(u("system_cpu_ns"));
  s.online_cpus = static_cast<uint32_t>(TRY(unsigned_num(j, "online_cpus", what, 1u << 16, false)));
  s.memory_usage = TRY(u("memory_usage"));
  s.memory_limit = TRY(u("memory_limit"));
  s.memory_max_usage = TRY(u("memory_max_usage"));
  if (const json* m = find(j, "memory_stat")) {
    if (!m->is_object()) return bad(what, "memory_stat", "is not an object");
    for (const auto& [k, v] : m->items()) {
      if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
        return bad(what, "memory_stat", "holds a value that is not a count");
      s.memory_stat[k] = v.get<uint64_t>();
    }
  }
  s.pids_current = TRY(u("pids_current"));
  s.pids_limit = TRY(u("pids_limit"));
  s.guest_mem_total = TRY(u("guest_mem_total"));
  s.guest_mem_available = TRY(u("guest_mem_available"));
  return s;
}

json Interface::to_json() const {
  json j = {{"mac", mac}, {"addresses", addresses}, {"mtu", mtu}};
  if (!set_mac.empty()) j["set_mac"] = set_mac;
  return j;
}

namespace {
bool is_mac(const std::string& m) {
  if (m.size() != 17) return false;
  for (size_t k = 0; k < 17; ++k) {
    char c = m[k];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (k % 3 == 2 ? c != ':' : !hex) return false;
  }
  return true;
}
}  // namespace

Result<Interface> Interface::from_json(const json& j) {
  const char* what = "interface";
  TRYV(object(j, what));
  Interface i;
  i.mac = TRY(str(j, "mac", what));
  if (i.mac.size() != 17) return bad(what, "mac", "is not aa:bb:cc:dd:ee:ff");
  for (size_t k = 0; k < 17; ++k) {
    char c = i.mac[k];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (k % 3 == 2 ? c != ':' : !hex) return bad(what, "mac", "is not aa:bb:cc:dd:ee:ff");
  }
  if (const json* a = find(j, "addresses")) {
    if (!a->is_array()) return bad(what, "addresses", "is not an array");
    for (const auto& e : *a) {
      if (!e.is_string()) return bad(what, "addresses", "holds a non-string");
      i.addresses.push_back(e.get<std::string>());
    }
  }
  i.mtu = static_cast<uint32_t>(TRY(unsigned_num(j, "mtu", what, 65535, false)));
  i.set_mac = TRY(str(j, "set_mac", what, false));
  if (!i.set_mac.empty() && !is_mac(i.set_mac)) return bad(what, "set_mac", "is not aa:bb:cc:dd:ee:ff");
  return i;
}

json Route::to_json() const { return {{"destination", destination}, {"gateway", gateway}}; }

Result<Route> Route::from_json(const json& j) {
  TRYV(object(j, "route"));
  Route r;
  r.destination = TRY(str(j, "destination", "route"));
  r.gateway = TRY(str(j, "gateway", "route"));
  return r;
}

json NetworkConfig::to_json() const {
  return {{"interfaces", list_json(interfaces)}, {"routes", list_json(routes)}};
}

Result<NetworkConfig> NetworkConfig::from_json(const json& j) {
  TRYV(object(j, "network"));
  NetworkConfig n;
  n.interfaces = TRY(list<Interface>(j, "interfaces", "network"));
  n.routes = TRY(list<Route>(j, "routes", "network"));
  return n;
}

}  // namespace berth::vmproto
