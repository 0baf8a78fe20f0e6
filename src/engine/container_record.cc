#include "engine/container_record.h"

#include "dockerapi/container_create.h"
#include "model/spec_json.h"

namespace berth::net {

NLOHMANN_JSON_SERIALIZE_ENUM(Proto, {{Proto::Tcp, "tcp"}, {Proto::Udp, "udp"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PortBinding, host_ip, host_port, host_port_end, container_port, proto)

}  // namespace berth::net

namespace berth::model {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RunState, running, paused, restarting, oom_killed, dead, pid,
                                                exit_code, error, started_at, finished_at)

}  // namespace berth::model

namespace berth::model {

NLOHMANN_JSON_SERIALIZE_ENUM(HealthStatus, {{HealthStatus::Starting, "starting"},
                                            {HealthStatus::Healthy, "healthy"},
                                            {HealthStatus::Unhealthy, "unhealthy"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HealthResult, start, end, exit_code, output)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Health, status, failing_streak, log)

}  // namespace berth::model

namespace berth::engine {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkRequest, name, aliases, ipv4_address, links, mac_address)

void to_json(nlohmann::json& j, const MountPlan& p) {
  j = {{"type", std::string(model::to_string(p.type))},
       {"source", p.source},
       {"destination", p.destination},
       {"read_only", p.read_only},
       {"anonymous", p.anonymous},
       {"create_source", p.create_source},
       {"nocopy", p.nocopy},
       {"propagation", p.propagation},
       {"tmpfs_options", p.tmpfs_options},
       {"volume_options", p.volume_options}};
}

namespace {

using nlohmann::json;

// Version 1's mount plans, networks and endpoints used Docker-style keys.
Result<MountPlan> mount_plan_from(const json& j, bool v1) {
  auto key = [&](const char* v2, const char* old) { return v1 ? old : v2; };
  MountPlan p;
  p.type = TRY(model::parse_mount_type(j.value(key("type", "Type"), "bind")));
  p.source = j.value(key("source", "Source"), "");
  p.destination = j.value(key("destination", "Destination"), "");
  p.read_only = j.value(key("read_only", "ReadOnly"), false);
  p.anonymous = j.value(key("anonymous", "Anonymous"), false);
  p.create_source = j.value(key("create_source", "CreateSource"), false);
  p.nocopy = j.value(key("nocopy", "NoCopy"), false);
  p.propagation = j.value(key("propagation", "Propagation"), "rprivate");
  p.tmpfs_options = j.value(key("tmpfs_options", "TmpfsOptions"), std::vector<std::string>{});
  const json& opts = j.value(key("volume_options", "VolumeOptions"), json::object());
  if (opts.is_object())
    for (const auto& [k, v] : opts.items()) p.volume_options[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return p;
}

RunState state_v1(const json& s) {
  RunState st;
  st.running = s.value("Running", false);
  st.paused = s.value("Paused", false);
  st.restarting = s.value("Restarting", false);
  st.oom_killed = s.value("OOMKilled", false);
  st.dead = s.value("Dead", false);
  st.pid = s.value("Pid", 0);
  st.exit_code = s.value("ExitCode", 0);
  st.error = s.value("Error", "");
  st.started_at = s.value("StartedAt", model::kZeroTime);
  st.finished_at = s.value("FinishedAt", model::kZeroTime);
  return st;
}

// The fields both schema versions store under the same keys.
void read_common(const json& j, ContainerRecord& r) {
  r.name = j.at("Name").get<std::string>();
  r.created = j.at("Created").get<std::string>();
  r.path = j.value("Path", "");
  r.args = j.value("Args", std::vector<std::string>{});
  r.restart_count = j.value("RestartCount", 0);
  r.ever_started = j.value("EverStarted", false);
  r.manually_stopped = j.value("ManuallyStopped", false);
  r.log_path = j.value("LogPath", "");
  r.hostname_path = j.value("HostnamePath", "");
  r.hosts_path = j.value("HostsPath", "");
  r.resolv_conf_path = j.value("ResolvConfPath", "");
  // Named, not iterated as a temporary: items() would outlive it.
  const json endpoints = j.value("Endpoints", json::object());
  for (const auto& [name, ep] : endpoints.items())
    if (ep.is_object()) r.endpoints[name] = Endpoint::from_json(name, ep);
}

// berth 0.1's record: Config and HostConfig as Docker JSON. Settings berth
// did not act on are dropped (they never took effect); a type error means
// the record is corrupt.
Result<ContainerRecord> migrate_v1(const json& j) {
  ContainerRecord r;
  read_common(j, r);
  r.id = j.at("ID").get<std::string>();
  r.image_id = j.value("ImageID", "");
  r.runtime = "berth";
  const json config_doc = j.value("Config", json::object());
  auto config = TRY(dockerapi::FieldReader::of(config_doc, "Config"));
  r.spec.config = TRY(dockerapi::parse_config(config));
  if (r.spec.config.image.empty()) r.spec.config.image = j.value("Image", "");
  const json host_doc = j.value("HostConfig", json::object());
  auto host = TRY(dockerapi::FieldReader::of(host_doc, "HostConfig"));
  r.spec.host = TRY(dockerapi::parse_host_config(host, false));
  r.state = state_v1(j.value("State", json::object()));
  for (const auto& n : j.value("NetworkRequests", json::array()))
    r.networks.push_back({n.value("Name", ""), n.value("Aliases", std::vector<std::string>{}), n.value("IPv4Address", "")});
  r.published = TRY(net::port_bindings_from_json(j.value("Published", json::object())));
  for (const auto& p : j.value("MountPlans", json::array())) r.mounts.push_back(TRY(mount_plan_from(p, true)));
  return r;
}

Result<ContainerRecord> read_v2(const json& j) {
  ContainerRecord r;
  read_common(j, r);
  r.id = j.at("Id").get<std::string>();
  r.image_id = j.value("ImageId", "");
  r.runtime = j.value("Runtime", "berth");
  r.spec = TRY(model::spec_from_json(j.at("Spec")));
  r.state = j.value("State", RunState{});
  if (auto s = j.find("State"); s != j.end() && s->is_object() && s->contains("health"))
    r.state.health = s->at("health").get<model::Health>();
  r.networks = j.value("Networks", std::vector<NetworkRequest>{});
  r.published = j.value("Published", std::vector<net::PortBinding>{});
  for (const auto& p : j.value("Mounts", json::array())) r.mounts.push_back(TRY(mount_plan_from(p, false)));
  return r;
}

}  // namespace

nlohmann::json record_to_json(const ContainerRecord& r) {
  json endpoints = json::object();
  for (const auto& [name, ep] : r.endpoints) endpoints[name] = ep.to_json();
  json state = r.state;
  if (r.state.health) state["health"] = *r.state.health;
  return {{"SchemaVersion", kRecordSchema},
          {"Id", r.id},
          {"Name", r.name},
          {"Created", r.created},
          {"ImageId", r.image_id},
          {"Path", r.path},
          {"Args", r.args},
          {"Runtime", r.runtime},
          {"Spec", model::spec_to_json(r.spec)},
          {"State", state},
          {"RestartCount", r.restart_count},
          {"EverStarted", r.ever_started},
          {"ManuallyStopped", r.manually_stopped},
          {"LogPath", r.log_path},
          {"HostnamePath", r.hostname_path},
          {"HostsPath", r.hosts_path},
          {"ResolvConfPath", r.resolv_conf_path},
          {"Networks", r.networks},
          {"Endpoints", endpoints},
          {"Published", r.published},
          {"Mounts", r.mounts}};
}

Result<LoadedRecord> record_from_json(std::string_view doc) {
  json j = json::parse(doc, nullptr, false);
  if (!j.is_object()) return fail(Errc::InvalidArgument, "container record is not a JSON object");
  try {
    int version = j.contains("SchemaVersion") ? j["SchemaVersion"].get<int>() : j.value("Version", 0);
    if (version == kRecordSchema) return LoadedRecord{TRY(read_v2(j)), false};
    if (version == 1) return LoadedRecord{TRY(migrate_v1(j)), true};
    return fail(Errc::Unsupported, "container record version " + std::to_string(version) +
                                       " is not one this berthd knows (it knows 1 and " +
                                       std::to_string(kRecordSchema) + ")");
  } catch (const std::exception& e) {
    // A field of the wrong type in a stored document: the record is corrupt.
    return fail(Errc::InvalidArgument, std::string("container record is corrupt: ") + e.what());
  }
}

}  // namespace berth::engine
