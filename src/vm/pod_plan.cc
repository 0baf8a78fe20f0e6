#include "vm/pod_plan.h"

namespace berth::vm {
namespace {

std::string str(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// /run/berth-vm/shares/TAG... -> /run/berth-vm/pod/<id>/TAG...
bool move_path(nlohmann::json& holder, const char* key, const std::string& id) {
  std::string p = str(holder, key);
  std::string from = kGuestShares;
  if (p.rfind(from, 0) != 0) return false;
  holder[key] = std::string(kPodGuestDir) + "/" + id + "/" + p.substr(from.size());
  return true;
}

}  // namespace

std::string bind_source_of(const nlohmann::json& config, const std::string& destination) {
  if (!config.contains("mounts") || !config["mounts"].is_array()) return "";
  std::string found;
  for (const auto& m : config["mounts"])
    if (str(m, "destination") == destination) found = str(m, "source");  // the last one wins, as in the runtime
  return found;
}

Result<void> plan_for_pod(GuestPlan& plan, const std::string& id, const std::string& hostname) {
  if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..")
    return fail(Errc::InvalidArgument, "container id \"" + id + "\" cannot name a directory of the pod's share");
  auto& c = plan.config;
  if (!c.contains("root") || !move_path(c["root"], "path", id))
    return fail(Errc::InvalidArgument, "the planned config's root is not on a share");
  if (c.contains("mounts") && c["mounts"].is_array())
    for (auto& m : c["mounts"]) move_path(m, "source", id);
  bool new_uts = false;
  if (c.contains("linux") && c["linux"].is_object() && c["linux"].contains("namespaces") &&
      c["linux"]["namespaces"].is_array()) {
    nlohmann::json kept = nlohmann::json::array();
    for (auto ns : c["linux"]["namespaces"]) {
      std::string type = str(ns, "type");
      if (type == "network" || type == "ipc") continue;  // the guest's: the pod's
      if (type == "uts") new_uts = true;
      ns.erase("path");  // a host path means nothing in the guest
      kept.push_back(ns);
    }
    c["linux"]["namespaces"] = kept;
  }
  if (new_uts && !hostname.empty()) c["hostname"] = hostname;
  return {};
}

}  // namespace berth::vm
