#include "vm/guest_config.h"

#include <algorithm>

namespace berth::vm {
namespace {

bool has_option(const nlohmann::json& mount, const char* opt) {
  if (!mount.contains("options") || !mount["options"].is_array()) return false;
  for (const auto& o : mount["options"])
    if (o.is_string() && o.get<std::string>() == opt) return true;
  return false;
}

bool is_bind(const nlohmann::json& m) {
  return (m.contains("type") && m["type"] == "bind") || has_option(m, "bind") || has_option(m, "rbind");
}

std::string str(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// linux.namespaces without a type: true when it has one with no path (a new one).
bool joins_host(const nlohmann::json& config, const char* type) {
  const auto* linux = config.contains("linux") ? &config["linux"] : nullptr;
  if (!linux || !linux->contains("namespaces") || !(*linux)["namespaces"].is_array()) return true;
  for (const auto& ns : (*linux)["namespaces"])
    if (str(ns, "type") == type) return false;  // its own, or another container's
  return true;
}

}  // namespace

std::string vm_refusal(const nlohmann::json& c) {
  if (joins_host(c, "network"))
    return "--network host cannot work in a VM: the guest has its own kernel and network stack";
  if (joins_host(c, "pid"))
    return "--pid host cannot work in a VM: the host's processes are not in the guest's kernel";
  if (joins_host(c, "ipc")) return "--ipc host cannot work in a VM: the guest's kernel cannot share the host's IPC objects";
  if (c.contains("linux") && c["linux"].contains("devices") && c["linux"]["devices"].is_array()) {
    for (const auto& d : c["linux"]["devices"]) {
      // /dev/fuse, /dev/net/tun... that the defaults add are made by the guest
      // kernel; a device the user added is a host device the VM cannot reach.
      std::string path = str(d, "path");
      static const char* kGuestMade[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                                         "/dev/tty", "/dev/console", "/dev/ptmx"};
      if (std::find_if(std::begin(kGuestMade), std::end(kGuestMade), [&](const char* p) { return path == p; }) ==
          std::end(kGuestMade))
        return "--device " + path + " cannot work in a VM: passing host devices through needs VFIO, which berth-vm does not do";
    }
  }
  return "";
}

Result<GuestPlan> plan_guest(const nlohmann::json& config, const std::string& files_dir,
                             bool (*is_dir)(const std::string&)) {
  if (!config.is_object()) return fail(Errc::InvalidArgument, "the bundle's config.json is not an object");
  GuestPlan p;
  p.config = config;
  auto& c = p.config;
  std::string root = c.contains("root") ? str(c["root"], "path") : "";
  if (root.empty()) return fail(Errc::InvalidArgument, "the bundle's config.json has no root.path");
  bool root_ro = c["root"].contains("readonly") && c["root"]["readonly"].is_boolean() && c["root"]["readonly"].get<bool>();
  p.shares.push_back({"rootfs", root, kGuestRoot, root_ro});
  c["root"]["path"] = kGuestRoot;
  if (c.contains("process") && c["process"].contains("terminal") && c["process"]["terminal"].is_boolean())
    p.terminal = c["process"]["terminal"].get<bool>();

  bool any_file = false;
  if (c.contains("mounts") && c["mounts"].is_array()) {
    int dirs = 0, files = 0;
    for (auto& m : c["mounts"]) {
      if (!is_bind(m)) continue;
      std::string src = str(m, "source");
      if (src.empty()) continue;
      if (is_dir(src)) {
        std::string tag = "vol" + std::to_string(dirs++);
        std::string guest = kGuestShares + tag;
        p.shares.push_back({tag, src, guest, has_option(m, "ro")});
        m["source"] = guest;
      } else {
        std::string name = std::to_string(files++);
        p.files.push_back({src, name});
        m["source"] = std::string(kGuestShares) + kFilesTag + "/" + name;
        any_file = true;
      }
    }
  }
  if (any_file) p.shares.push_back({kFilesTag, files_dir, std::string(kGuestShares) + kFilesTag, true});

  if (c.contains("linux") && c["linux"].is_object()) {
    auto& l = c["linux"];
    if (l.contains("namespaces") && l["namespaces"].is_array()) {
      nlohmann::json kept = nlohmann::json::array();
      bool cgroupns = false;
      for (const auto& ns : l["namespaces"]) {
        if (str(ns, "type") == "network") {
          p.netns_path = str(ns, "path");
          continue;  // the guest's own namespace holds the NIC
        }
        cgroupns |= str(ns, "type") == "cgroup";
        kept.push_back(ns);
      }
      // The guest is cgroup v2 only: Docker's default there is a private
      // cgroup namespace (a v1 host's engine asked for the host's).
      if (!cgroupns) kept.push_back({{"type", "cgroup"}});
      l["namespaces"] = kept;
    }
    if (l.contains("resources") && l["resources"].is_object()) {
      auto& r = l["resources"];
      if (r.contains("memory") && r["memory"].is_object()) {
        if (r["memory"].contains("limit") && r["memory"]["limit"].is_number_integer())
          p.memory_limit = r["memory"]["limit"].get<int64_t>();
        r.erase("memory");  // the VM's size is the limit
      }
      if (r.contains("cpu") && r["cpu"].is_object()) {
        if (r["cpu"].contains("quota") && r["cpu"]["quota"].is_number_integer())
          p.cpu_quota = r["cpu"]["quota"].get<int64_t>();
        if (r["cpu"].contains("period") && r["cpu"]["period"].is_number_unsigned())
          p.cpu_period = r["cpu"]["period"].get<uint64_t>();
        r.erase("cpu");  // the vCPU count is the limit
      }
    }
  }
  c.erase("hooks");
  return p;
}

}  // namespace berth::vm
