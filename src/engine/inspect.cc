// The JSON views of containers: inspect (GET /containers/{id}/json) and the
// list summaries (GET /containers/json), in Docker API 1.41's shapes.
#include <ctime>

#include "base/go_time.h"
#include "base/go_units.h"
#include "base/strings.h"
#include "engine/binds.h"
#include "engine/engine.h"
#include "engine/exec_session.h"

namespace berth::engine {
namespace {

// RFC 3339 -> unix seconds (list "Created" is an integer).
int64_t unix_seconds(const std::string& rfc3339) { return go::parse_rfc3339(rfc3339).value_or(go::UnixTime{}).sec; }

std::string quote_command(const Container& c) {
  std::string cmd = c.path;
  for (const auto& a : c.args) cmd += " " + a;
  return cmd;
}

std::string status_text(const Container& c) {
  int64_t now = std::time(nullptr);
  const auto& s = c.state;
  if (s.removing) return "Removal In Progress";
  if (s.dead) return "Dead";
  if (s.restarting)
    return "Restarting (" + std::to_string(s.exit_code) + ") " +
           go::human_duration(now - unix_seconds(s.finished_at)) + " ago";
  if (s.running) {
    std::string t = "Up " + go::human_duration(now - unix_seconds(s.started_at));
    if (s.paused) t += " (Paused)";
    return t;
  }
  if (!c.ever_started) return "Created";
  return "Exited (" + std::to_string(s.exit_code) + ") " + go::human_duration(now - unix_seconds(s.finished_at)) + " ago";
}

nlohmann::json labels_of(const Container& c) {
  auto l = c.config.value("Labels", nlohmann::json::object());
  return l.is_object() ? l : nlohmann::json::object();
}

nlohmann::json empty_endpoint() {
  return {{"IPAMConfig", nullptr}, {"Links", nullptr}, {"Aliases", nullptr},
          {"NetworkID", ""},       {"EndpointID", ""}, {"Gateway", ""},
          {"IPAddress", ""},       {"IPPrefixLen", 0}, {"IPv6Gateway", ""},
          {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0}, {"MacAddress", ""},
          {"DriverOpts", nullptr}};
}

// Docker's NetworkSettings: the endpoints of the current run (the networks
// asked for, empty, when not running), the default bridge's address at the
// top level, and the published ports.
nlohmann::json network_settings(const Container& c) {
  std::string mode = c.host_config.value("NetworkMode", "default");
  nlohmann::json networks = nlohmann::json::object();
  if (mode == "host" || mode == "none") {
    networks[mode] = empty_endpoint();
  } else {
    for (const auto& r : c.network_requests) {
      std::string name = r.value("Name", "");
      nlohmann::json ep = empty_endpoint();
      if (c.endpoints.contains(name)) {
        for (auto& [k, v] : c.endpoints[name].items())
          if (k != "HostVeth" && k != "Bridge") ep[k] = v;
      }
      if (auto a = r.value("Aliases", std::vector<std::string>{}); !a.empty() && ep["Aliases"].is_null()) ep["Aliases"] = a;
      if (auto ip = r.value("IPv4Address", ""); !ip.empty()) ep["IPAMConfig"] = {{"IPv4Address", ip}};
      networks[name] = ep;
    }
  }
  nlohmann::json top = networks.contains("bridge") ? networks["bridge"] : empty_endpoint();
  nlohmann::json ports = nlohmann::json::object();
  if (c.state.running) {
    ports = c.published;
    auto exposed = c.config.value("ExposedPorts", nlohmann::json::object());
    if (exposed.is_object())
      for (auto& [k, v] : exposed.items())
        if (!ports.contains(k)) ports[k] = nullptr;
  }
  return {{"Bridge", ""},
          {"SandboxID", ""},
          {"HairpinMode", false},
          {"LinkLocalIPv6Address", ""},
          {"LinkLocalIPv6PrefixLen", 0},
          {"Ports", ports},
          {"SandboxKey", c.state.running && mode != "host" ? "/run/berth/containers/" + c.id + "/netns" : ""},
          {"SecondaryIPAddresses", nullptr},
          {"SecondaryIPv6Addresses", nullptr},
          {"EndpointID", top["EndpointID"]},
          {"Gateway", top["Gateway"]},
          {"GlobalIPv6Address", ""},
          {"GlobalIPv6PrefixLen", 0},
          {"IPAddress", top["IPAddress"]},
          {"IPPrefixLen", top["IPPrefixLen"]},
          {"IPv6Gateway", ""},
          {"MacAddress", top["MacAddress"]},
          {"Networks", networks}};
}

// The list's "Ports": [{IP, PrivatePort, PublicPort, Type}], unpublished
// exposed ports without IP/PublicPort.
nlohmann::json ports_summary(const Container& c) {
  nlohmann::json out = nlohmann::json::array();
  if (!c.state.running) return out;
  for (auto& [key, binds] : c.published.items()) {
    auto slash = key.find('/');
    int port = std::atoi(key.substr(0, slash).c_str());
    std::string proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (!binds.is_array()) continue;
    for (auto& b : binds)
      out.push_back({{"IP", b.value("HostIp", "0.0.0.0")},
                     {"PrivatePort", port},
                     {"PublicPort", std::atoi(b.value("HostPort", "0").c_str())},
                     {"Type", proto}});
  }
  return out;
}

bool match_filters(const Container& c, const nlohmann::json& filters) {
  if (!filters.is_object()) return true;
  for (auto& [key, vals] : filters.items()) {
    std::vector<std::string> values;
    if (vals.is_array()) {
      for (auto& v : vals) values.push_back(v.get<std::string>());
    } else if (vals.is_object()) {
      for (auto& [v, on] : vals.items()) values.push_back(v);
    }
    if (values.empty()) continue;
    bool ok = false;
    for (const auto& v : values) {
      if (key == "id") ok |= c.id.rfind(v, 0) == 0;
      else if (key == "name") ok |= c.name.find(v) != std::string::npos;
      else if (key == "status") ok |= c.state.status(c.ever_started) == v;
      else if (key == "exited") ok |= c.ever_started && !c.state.running && std::to_string(c.state.exit_code) == v;
      else if (key == "ancestor") ok |= c.image == v || c.image_id == v || c.image_id.find(v) != std::string::npos;
      else if (key == "label") {
        auto labels = labels_of(c);
        auto eq = v.find('=');
        std::string k = v.substr(0, eq);
        ok |= labels.contains(k) && (eq == std::string::npos || labels[k] == v.substr(eq + 1));
      } else if (key == "is-task") ok |= v == "false";
      else ok = true;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

nlohmann::json Engine::mounts_of(const Container& c) {
  std::vector<MountPlan> plans;
  for (const auto& p : c.mount_plans) plans.push_back(MountPlan::from_json(p));
  return mounts_json(plans, cfg_.data_root + "/volumes");
}

nlohmann::json Engine::inspect_json(const Container& c) {
  const auto& s = c.state;
  nlohmann::json state = {{"Status", s.status(c.ever_started)},
                          {"Running", s.running},
                          {"Paused", s.paused},
                          {"Restarting", s.restarting},
                          {"OOMKilled", s.oom_killed},
                          {"Dead", s.dead},
                          {"Pid", s.pid},
                          {"ExitCode", s.exit_code},
                          {"Error", s.error},
                          {"StartedAt", s.started_at},
                          {"FinishedAt", s.finished_at}};
  nlohmann::json hc = c.host_config;
  return {{"Id", c.id},
          {"Created", c.created},
          {"Path", c.path},
          {"Args", c.args},
          {"State", state},
          {"Image", c.image_id},
          {"ResolvConfPath", c.resolv_conf_path},
          {"HostnamePath", c.hostname_path},
          {"HostsPath", c.hosts_path},
          {"LogPath", c.log_path},
          {"Name", c.name},
          {"RestartCount", c.restart_count},
          {"Driver", "overlay2"},
          {"Platform", "linux"},
          {"MountLabel", ""},
          {"ProcessLabel", ""},
          {"AppArmorProfile", ""},
          {"ExecIDs", nullptr},
          {"HostConfig", hc},
          {"GraphDriver", {{"Name", "overlay2"}, {"Data", {{"MergedDir", rootfs_dir(c.id)}}}}},
          {"Mounts", mounts_of(c)},
          {"Config", c.config},
          {"NetworkSettings", network_settings(c)}};
}

nlohmann::json Engine::summary_json(const Container& c) {
  std::string mode = c.host_config.value("NetworkMode", "default");
  return {{"Id", c.id},
          {"Names", {c.name}},
          {"Image", c.image},
          {"ImageID", c.image_id},
          {"Command", quote_command(c)},
          {"Created", unix_seconds(c.created)},
          {"Ports", ports_summary(c)},
          {"Labels", labels_of(c)},
          {"State", c.state.status(c.ever_started)},
          {"Status", status_text(c)},
          {"HostConfig", {{"NetworkMode", mode}}},
          {"NetworkSettings", {{"Networks", network_settings(c)["Networks"]}}},
          {"Mounts", mounts_of(c)}};
}

Result<nlohmann::json> Engine::inspect(const std::string& ref, bool size) {
  std::shared_ptr<Container> c;
  nlohmann::json j;
  {
    std::lock_guard lk(mu_);
    c = TRY(lookup(ref));
    j = inspect_json(*c);
    nlohmann::json exec_ids = nlohmann::json::array();
    for (auto& [id, e] : execs_)
      if (e->container_id == c->id && e->running) exec_ids.push_back(id);
    j["ExecIDs"] = exec_ids.empty() ? nlohmann::json(nullptr) : exec_ids;
  }
  if (size) {
    std::lock_guard lk(image_mu_);
    if (auto u = images_->snapshots().usage(c->id)) j["SizeRw"] = u->bytes;
  }
  return j;
}

Result<nlohmann::json> Engine::list(bool all, int limit, bool size, const nlohmann::json& filters) {
  std::vector<std::shared_ptr<Container>> picked;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, c] : containers_) {
      if (!all && !c->state.running && limit <= 0) continue;
      if (!match_filters(*c, filters)) continue;
      picked.push_back(c);
    }
    std::sort(picked.begin(), picked.end(), [](const auto& a, const auto& b) { return a->created > b->created; });
    if (limit > 0 && picked.size() > static_cast<size_t>(limit)) picked.resize(limit);
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& c : picked) {
    nlohmann::json j;
    {
      std::lock_guard lk(mu_);
      j = summary_json(*c);
    }
    if (size) {
      std::lock_guard lk(image_mu_);
      if (auto u = images_->snapshots().usage(c->id)) j["SizeRw"] = u->bytes;
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace berth::engine
