#include "runtime/default_spec.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

namespace berth::runtime {
namespace {

using ojson = nlohmann::ordered_json;

ojson mount(const char* dest, const char* type, const char* source,
            std::initializer_list<const char*> options) {
  ojson m;
  m["destination"] = dest;
  m["type"] = type;
  m["source"] = source;
  if (options.size() > 0) {
    ojson opts = ojson::array();
    for (const char* o : options) opts.push_back(o);
    m["options"] = std::move(opts);
  }
  return m;
}

ojson id_mapping(uint32_t host_id) {
  ojson m;
  m["containerID"] = 0;
  m["hostID"] = host_id;
  m["size"] = 1;
  return m;
}

}  // namespace

std::string default_spec_json(bool rootless) {
  const ojson caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};

  ojson process;
  process["terminal"] = true;
  process["user"] = ojson{{"uid", 0}, {"gid", 0}};
  process["args"] = ojson::array({"sh"});
  process["env"] = ojson::array(
      {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"});
  process["cwd"] = "/";
  ojson capabilities;
  capabilities["bounding"] = caps;
  capabilities["effective"] = caps;
  capabilities["permitted"] = caps;
  capabilities["ambient"] = caps;
  process["capabilities"] = std::move(capabilities);
  ojson nofile;
  nofile["type"] = "RLIMIT_NOFILE";
  nofile["hard"] = 1024;
  nofile["soft"] = 1024;
  process["rlimits"] = ojson::array({nofile});
  process["noNewPrivileges"] = true;

  ojson mounts = ojson::array();
  mounts.push_back(mount("/proc", "proc", "proc", {}));
  mounts.push_back(mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  if (rootless) {
    // No gid=5: the tty group is not mapped in a single-id user namespace.
    mounts.push_back(mount("/dev/pts", "devpts", "devpts",
                           {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}));
  } else {
    mounts.push_back(mount("/dev/pts", "devpts", "devpts",
                           {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  }
  mounts.push_back(mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  if (rootless) {
    // A new sysfs cannot be mounted without owning the network namespace.
    mounts.push_back(mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
  } else {
    mounts.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
  }
  mounts.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}));

  ojson lx;
  if (rootless) {
    lx["uidMappings"] = ojson::array({id_mapping(::geteuid())});
    lx["gidMappings"] = ojson::array({id_mapping(::getegid())});
  } else {
    ojson deny_all;
    deny_all["allow"] = false;
    deny_all["access"] = "rwm";
    lx["resources"] = ojson{{"devices", ojson::array({deny_all})}};
  }
  ojson namespaces = ojson::array();
  for (const char* ns : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
    if (rootless && std::string_view(ns) == "network") continue;
    namespaces.push_back(ojson{{"type", ns}});
  }
  if (rootless) namespaces.push_back(ojson{{"type", "user"}});
  lx["namespaces"] = std::move(namespaces);
  lx["maskedPaths"] = ojson::array({"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                       "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                       "/proc/sched_debug", "/sys/firmware", "/proc/scsi"});
  lx["readonlyPaths"] =
      ojson::array({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"});

  ojson spec;
  spec["ociVersion"] = kOciVersion;
  spec["process"] = std::move(process);
  spec["root"] = ojson{{"path", "rootfs"}, {"readonly", true}};
  spec["hostname"] = "berth";
  spec["mounts"] = std::move(mounts);
  spec["linux"] = std::move(lx);
  return spec.dump(1, '\t');
}

}  // namespace berth::runtime
