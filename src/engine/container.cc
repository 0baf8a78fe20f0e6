#include "engine/container.h"

namespace berth::engine {
namespace {
constexpr int kDocVersion = 1;
}

std::string RunState::status(bool ever_started) const {
  if (removing) return "removing";
  if (dead) return "dead";
  if (restarting) return "restarting";
  if (running) return paused ? "paused" : "running";
  return ever_started ? "exited" : "created";
}

nlohmann::json Container::to_doc() const {
  return {
      {"Version", kDocVersion},
      {"ID", id},
      {"Name", name},
      {"Created", created},
      {"Image", image},
      {"ImageID", image_id},
      {"Path", path},
      {"Args", args},
      {"Config", config},
      {"HostConfig", host_config},
      {"State",
       {{"Running", state.running},
        {"Paused", state.paused},
        {"Restarting", state.restarting},
        {"OOMKilled", state.oom_killed},
        {"Dead", state.dead},
        {"Pid", state.pid},
        {"ExitCode", state.exit_code},
        {"Error", state.error},
        {"StartedAt", state.started_at},
        {"FinishedAt", state.finished_at}}},
      {"RestartCount", restart_count},
      {"EverStarted", ever_started},
      {"ManuallyStopped", manually_stopped},
      {"LogPath", log_path},
      {"HostnamePath", hostname_path},
      {"HostsPath", hosts_path},
      {"ResolvConfPath", resolv_conf_path},
      {"NetworkRequests", network_requests},
      {"Endpoints", endpoints},
      {"Published", published},
      {"MountPlans", mount_plans},
  };
}

Result<std::shared_ptr<Container>> Container::from_doc(const std::string& doc) {
  try {
    auto j = nlohmann::json::parse(doc);
    if (j.value("Version", 0) != kDocVersion)
      return fail(Errc::Unsupported, "container record version " + j.value("Version", nlohmann::json(0)).dump() +
                                         " is not one this berthd knows (" + std::to_string(kDocVersion) + ")");
    auto c = std::make_shared<Container>();
    c->id = j.at("ID").get<std::string>();
    c->name = j.at("Name").get<std::string>();
    c->created = j.at("Created").get<std::string>();
    c->image = j.value("Image", "");
    c->image_id = j.value("ImageID", "");
    c->path = j.value("Path", "");
    c->args = j.value("Args", std::vector<std::string>{});
    c->config = j.value("Config", nlohmann::json::object());
    c->host_config = j.value("HostConfig", nlohmann::json::object());
    const auto& s = j.at("State");
    c->state.running = s.value("Running", false);
    c->state.paused = s.value("Paused", false);
    c->state.restarting = s.value("Restarting", false);
    c->state.oom_killed = s.value("OOMKilled", false);
    c->state.dead = s.value("Dead", false);
    c->state.pid = s.value("Pid", 0);
    c->state.exit_code = s.value("ExitCode", 0);
    c->state.error = s.value("Error", "");
    c->state.started_at = s.value("StartedAt", kZeroTime);
    c->state.finished_at = s.value("FinishedAt", kZeroTime);
    c->restart_count = j.value("RestartCount", 0);
    c->ever_started = j.value("EverStarted", false);
    c->manually_stopped = j.value("ManuallyStopped", false);
    c->log_path = j.value("LogPath", "");
    c->hostname_path = j.value("HostnamePath", "");
    c->hosts_path = j.value("HostsPath", "");
    c->resolv_conf_path = j.value("ResolvConfPath", "");
    c->network_requests = j.value("NetworkRequests", nlohmann::json::array());
    c->endpoints = j.value("Endpoints", nlohmann::json::object());
    c->published = j.value("Published", nlohmann::json::object());
    c->mount_plans = j.value("MountPlans", nlohmann::json::array());
    c->tty = c->tty_config();
    return c;
  } catch (const std::exception& e) {
    return fail(Errc::Internal, std::string("container record is corrupt: ") + e.what());
  }
}

}  // namespace berth::engine
