#include "task/oci_json.h"

#include <algorithm>

namespace berth::task {
namespace {

std::string_view env_key(std::string_view kv) { return kv.substr(0, kv.find('=')); }

}  // namespace

Result<nlohmann::json> exec_process_json(std::string_view config_json, const ExecRequest& r) {
  if (r.args.empty()) return fail(Errc::InvalidArgument, "exec " + r.exec_id + ": no command to run");
  auto spec = nlohmann::json::parse(config_json, nullptr, false);
  if (spec.is_discarded() || !spec.is_object())
    return fail(Errc::Internal, "exec " + r.exec_id + ": the container's config.json is not a JSON object");
  auto it = spec.find("process");
  if (it == spec.end() || !it->is_object())
    return fail(Errc::Internal, "exec " + r.exec_id + ": the container's config.json has no process");
  nlohmann::json p = std::move(*it);
  p["args"] = r.args;
  p["terminal"] = r.tty;
  p.erase("consoleSize");
  std::vector<std::string> env;
  if (auto e = p.find("env"); e != p.end() && e->is_array())
    for (const auto& v : *e)
      if (v.is_string()) env.push_back(v.get<std::string>());
  for (const auto& kv : r.env) {
    std::erase_if(env, [&](const std::string& x) { return env_key(x) == env_key(kv); });
    env.push_back(kv);
  }
  p["env"] = env;
  if (!r.cwd.empty()) p["cwd"] = r.cwd;
  if (r.user) p["user"] = {{"uid", r.user->uid}, {"gid", r.user->gid}, {"additionalGids", r.user->additional_gids}};
  return p;
}

nlohmann::json resources_json(const ResourceUpdate& u) {
  nlohmann::json r = nlohmann::json::object();
  if (u.memory) r["memory"]["limit"] = *u.memory;
  if (u.memory_swap) r["memory"]["swap"] = *u.memory_swap;
  if (u.memory_reservation) r["memory"]["reservation"] = *u.memory_reservation;
  if (u.cpu_shares) r["cpu"]["shares"] = *u.cpu_shares;
  if (u.cpu_period) r["cpu"]["period"] = *u.cpu_period;
  if (u.cpu_quota) r["cpu"]["quota"] = *u.cpu_quota;
  if (u.cpuset_cpus) r["cpu"]["cpus"] = *u.cpuset_cpus;
  if (u.cpuset_mems) r["cpu"]["mems"] = *u.cpuset_mems;
  if (u.pids_limit) r["pids"]["limit"] = *u.pids_limit;
  if (u.blkio_weight) r["blockIO"]["weight"] = *u.blkio_weight;
  return r;
}

}  // namespace berth::task
