// POST /build (the legacy builder's API) and POST /build/prune over
// backend::BuildBackend.
#include "base/base64.h"
#include "base/go_json.h"
#include "base/strings.h"
#include "server/routes/routes.h"

namespace berth::server {
namespace {

using ojson = nlohmann::ordered_json;

Result<nlohmann::json> json_param(const Request& req, const char* key) {
  auto text = req.q(key);
  if (!text || text->empty()) return nlohmann::json();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return fail(Errc::InvalidArgument, std::string(key) + ": not valid JSON");
  return j;
}

Result<int64_t> int_param(const Request& req, const char* key) {
  auto text = req.q(key);
  if (!text || text->empty()) return int64_t{0};
  auto v = parse_int(*text);
  if (!v) return fail(Errc::InvalidArgument, std::string(key) + ": not a number: " + *text);
  return *v;
}

// X-Registry-Config: base64url JSON {"registry": {"username", "password", ...}}
// for the FROM images the build pulls; each entry is passed on as the
// X-Registry-Auth a pull would get.
Result<std::map<std::string, backend::RegistryAuth>> registry_config(const std::string& header) {
  std::map<std::string, backend::RegistryAuth> out;
  if (header.empty()) return out;
  auto decoded = base64::decode(header);
  auto j = decoded ? nlohmann::json::parse(*decoded, nullptr, false) : nlohmann::json();
  if (!j.is_object()) return fail(Errc::InvalidArgument, "X-Registry-Config: not base64 of a JSON object");
  for (const auto& [server, auth] : j.items()) {
    if (!auth.is_object()) continue;
    backend::RegistryAuth a;
    a.server = server;
    a.header = base64::encode_url(auth.dump());
    out[server] = a;
  }
  return out;
}

// X-Berth-Build-Secrets (berth build --secret): base64url JSON {"ID":
// "<base64 of the bytes>"}. A header, not the query: the daemon's debug log
// shows request targets, never headers. Messages name the ID, never a byte.
Result<std::map<std::string, std::string>> build_secrets(const std::string& header) {
  constexpr size_t kMaxSecret = 500 * 1024;  // BuildKit's limit
  std::map<std::string, std::string> out;
  if (header.empty()) return out;
  auto decoded = base64::decode(header);
  auto j = decoded ? nlohmann::json::parse(*decoded, nullptr, false) : nlohmann::json();
  if (!j.is_object()) return fail(Errc::InvalidArgument, "X-Berth-Build-Secrets: not base64 of a JSON object");
  for (const auto& [id, value] : j.items()) {
    auto bytes = value.is_string() ? base64::decode(value.get<std::string>()) : std::nullopt;
    if (id.empty() || !bytes) return fail(Errc::InvalidArgument, "X-Berth-Build-Secrets: secret \"" + id + "\" is not base64");
    if (bytes->size() > kMaxSecret)
      return fail(Errc::InvalidArgument, "secret " + id + " is larger than 500 KiB");
    out[id] = std::move(*bytes);
  }
  return out;
}

Result<void> build(backend::BuildBackend& b, Request& req, ResponseWriter& w) {
  backend::BuildRequest r;
  r.dockerfile = req.q("dockerfile").value_or("Dockerfile");
  for (auto [it, end] = req.query.equal_range("t"); it != end; ++it)
    if (!it->second.empty()) r.tags.push_back(it->second);
  r.target = req.q("target").value_or("");
  r.platform = req.q("platform").value_or("");
  r.no_cache = req.q_bool("nocache");
  r.rm = req.q_bool("rm", true);
  r.force_rm = req.q_bool("forcerm");
  r.pull = req.q_bool("pull");
  r.quiet = req.q_bool("q");
  r.native = req.q_bool("berth-native");
  if (auto v = req.q("version"); v && *v == "2")
    return fail(Errc::InvalidArgument, "BuildKit (version=2) is not supported by berthd: use the legacy builder "
                                       "(DOCKER_BUILDKIT=0) or `berth build`");
  if (auto j = TRY(json_param(req, "buildargs")); !j.is_null()) {
    if (!j.is_object()) return fail(Errc::InvalidArgument, "buildargs: not a JSON object");
    for (const auto& [k, v] : j.items())
      r.build_args[k] = v.is_string() ? std::optional<std::string>(v.get<std::string>()) : std::nullopt;
  }
  if (auto j = TRY(json_param(req, "labels")); !j.is_null()) {
    if (!j.is_object()) return fail(Errc::InvalidArgument, "labels: not a JSON object");
    for (const auto& [k, v] : j.items())
      if (v.is_string()) r.labels[k] = v.get<std::string>();
  }
  r.network_mode = req.q("networkmode").value_or("");
  if (r.network_mode == "default") r.network_mode.clear();
  r.shm_size = TRY(int_param(req, "shmsize"));
  auto& res = r.resources;
  res.memory = TRY(int_param(req, "memory"));
  res.memory_swap = TRY(int_param(req, "memswap"));
  res.cpu_shares = TRY(int_param(req, "cpushares"));
  res.cpu_period = TRY(int_param(req, "cpuperiod"));
  res.cpu_quota = TRY(int_param(req, "cpuquota"));
  res.cpuset_cpus = req.q("cpusetcpus").value_or("");
  res.cpuset_mems = req.q("cpusetmems").value_or("");
  res.cgroup_parent = req.q("cgroupparent").value_or("");
  // The clients join --add-host values with commas into one parameter.
  for (auto [it, end] = req.query.equal_range("extrahosts"); it != end; ++it)
    for (const auto& h : split(it->second, ',', true)) r.extra_hosts.push_back(std::string(trim(h)));
  r.registry_auth = TRY(registry_config(req.header("x-registry-config")));
  r.secrets = TRY(build_secrets(req.header("x-berth-build-secrets")));

  bool streaming = false;
  auto progress = [&](const std::string& line) {
    if (!streaming) streaming = w.begin_stream(200, "application/json").has_value();
    return streaming && w.write_chunk(line).has_value();
  };
  TRY(b.build(r, req.read_some, progress));
  return streaming ? w.end_stream() : w.send(200, "application/json", "");
}

Result<void> prune(backend::BuildBackend& b, Request& req, ResponseWriter& w) {
  std::string filters = req.q("filters").value_or("");
  // Size-bounded pruning (keep the newest N bytes) is BuildKit's; berth's cache entries are
  // images, pruned by use and age. Refused rather than ignored.
  for (const char* bound : {"keep-storage", "reserved-space", "max-used-space", "min-free-space"})
    if (auto v = req.q(bound); v && !v->empty() && *v != "0")
      return fail(Errc::InvalidArgument, std::string(bound) + " is not supported by berth's build cache: use filters (until) or all");
  auto report = TRY(b.prune(filters, req.q_bool("all")));
  ojson j;
  j["CachesDeleted"] = report.caches_deleted.empty() ? ojson(nullptr) : ojson(report.caches_deleted);
  j["SpaceReclaimed"] = report.space_reclaimed;
  return w.send(200, "application/json", go::marshal(j) + "\n");
}

}  // namespace

void add_build_routes(Router& r, backend::BuildBackend& b) {
  r.add("POST", "/build", [&b](Request& q, ResponseWriter& w) { return build(b, q, w); });
  r.add("POST", "/build/prune", [&b](Request& q, ResponseWriter& w) { return prune(b, q, w); });
}

}  // namespace berth::server
