#include "specgen/mounts.h"

#include <algorithm>

#include "base/strings.h"

namespace berth::specgen::detail {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultShmSize = 64 * 1024 * 1024;

json mount(const std::string& dest, const std::string& type, const std::string& source,
           std::vector<std::string> options) {
  return json{{"destination", dest}, {"type", type}, {"source", source}, {"options", std::move(options)}};
}

size_t depth(const std::string& path) { return split(path, '/', true).size(); }

}  // namespace

Result<json> container_mounts(const SpecInput& in, const HostSettings& hs) {
  std::vector<json> defaults;
  defaults.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  defaults.push_back(mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  defaults.push_back(mount("/dev/pts", "devpts", "devpts",
                           {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  std::vector<std::string> ro_unless_privileged = {"nosuid", "noexec", "nodev"};
  if (!hs.privileged) ro_unless_privileged.push_back("ro");
  defaults.push_back(mount("/sys", "sysfs", "sysfs", ro_unless_privileged));
  defaults.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup", ro_unless_privileged));
  defaults.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));

  // /dev/shm: none without IPC, the host's with host IPC, the engine's shared one, or private.
  if (hs.ipc_mode == "host") {
    defaults.push_back(mount("/dev/shm", "bind", "/dev/shm", {"rbind", "rprivate"}));
  } else if (!in.shm_path.empty()) {
    defaults.push_back(mount("/dev/shm", "bind", in.shm_path, {"rbind", "rprivate"}));
  } else if (hs.ipc_mode != "none") {
    int64_t size = hs.shm_size > 0 ? hs.shm_size : kDefaultShmSize;
    defaults.push_back(mount("/dev/shm", "tmpfs", "shm",
                             {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(size)}));
  }

  // A later mount on the same destination replaces an earlier one.
  std::vector<json> extra;
  auto add = [&](json m) {
    std::erase_if(extra, [&](const json& e) { return e["destination"] == m["destination"]; });
    extra.push_back(std::move(m));
  };
  std::vector<std::string> net_opts = {"rbind", "rprivate"};
  if (hs.readonly_rootfs) net_opts.push_back("ro");
  auto network_file = [&](const std::string& source, const char* dest) {
    if (!source.empty()) add(mount(dest, "bind", source, net_opts));
  };
  network_file(in.hostname_path, "/etc/hostname");
  network_file(in.hosts_path, "/etc/hosts");
  network_file(in.resolv_conf_path, "/etc/resolv.conf");
  for (const auto& [dest, text] : hs.tmpfs)
    add(mount(dest, "tmpfs", "tmpfs", TRY(tmpfs_options(text, dest))));
  for (const auto& m : in.extra_mounts) {
    if (m.destination.empty() || m.destination[0] != '/')
      return fail(Errc::InvalidArgument, "mount destination \"" + m.destination + "\" is not absolute");
    add(mount(m.destination, m.type, m.source, m.options));
  }
  if (hs.init) {
    if (in.init_path.empty())
      return fail(Errc::Unavailable, "HostConfig.Init: no init binary is configured for this daemon");
    add(mount("/sbin/docker-init", "bind", in.init_path, {"bind", "ro"}));
  }

  // Parents before children, so a mount is not hidden by one made later.
  std::stable_sort(extra.begin(), extra.end(), [](const json& a, const json& b) {
    return depth(a["destination"].get<std::string>()) < depth(b["destination"].get<std::string>());
  });
  json out = json::array();
  for (auto& d : defaults) {
    bool replaced = std::any_of(extra.begin(), extra.end(), [&](const json& e) {
      return e["destination"] == d["destination"];
    });
    if (!replaced) out.push_back(std::move(d));
  }
  for (auto& e : extra) out.push_back(std::move(e));
  return out;
}

}  // namespace berth::specgen::detail
