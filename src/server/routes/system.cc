// /_ping, /version, /info, /events, /system/df.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "base/clock.h"
#include "base/file.h"
#include "base/go_time.h"
#include "base/strings.h"
#include "dockerapi/container_json.h"
#include "dockerapi/events_json.h"
#include "server/routes/params.h"
#include "server/routes/routes.h"

namespace berth::server {
namespace {

std::string kernel_release() {
  utsname u{};
  uname(&u);
  return u.release;
}

std::string os_name() {
  auto text = read_file("/etc/os-release");
  if (!text) return "Linux";
  auto pos = text->find("PRETTY_NAME=");
  if (pos == std::string::npos) return "Linux";
  auto line = text->substr(pos + 12, text->find('\n', pos) - pos - 12);
  if (!line.empty() && line.front() == '"') line = line.substr(1, line.size() - 2);
  return line;
}

// A /proc/sys flag ("1" -> true); false when the file is absent.
bool proc_flag(const char* path) { return trim(read_file(path).value_or("0")) == "1"; }

// Open fds and threads of berthd itself (dockerd reports its own too).
int64_t open_fds() {
  std::error_code ec;
  int64_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != decltype(it)(); it.increment(ec))
    ++n;
  return n;
}

int64_t threads() {
  auto status = read_file("/proc/self/status").value_or("");
  auto pos = status.find("\nThreads:");
  return pos == std::string::npos ? 0 : std::atoll(status.c_str() + pos + 9);
}

int64_t mem_total() { return static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE); }

std::string hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

Result<void> events(backend::SystemBackend& system, Request& req, ResponseWriter& w) {
  auto filter = dockerapi::EventFilter::parse(req.q("filters").value_or(""));
  if (!filter) return fail(Errc::InvalidArgument, "invalid filter: " + req.q("filters").value_or(""));
  auto since = TRY(unix_time_param(req, "since", false));
  auto until = TRY(unix_time_param(req, "until", false));
  if (since && until && *since > *until) return fail(Errc::InvalidArgument, "`since` time is after `until` time");
  auto sub = system.subscribe(since);
  TRYV(w.begin_stream(200, "application/json"));
  // The client leaving ends the stream: a watcher cancels the subscription.
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
  int cfd = w.client_fd();
  std::thread watcher([&] {
    pollfd p[2] = {{cfd, POLLRDHUP, 0}, {stop.get(), POLLIN, 0}};
    while (::poll(p, 2, -1) < 0 && errno == EINTR) {
    }
    sub->cancel();
  });
  for (;;) {
    // Buffered events come back at once even when `until` has passed; only
    // the wait for live ones is bounded by it.
    int64_t deadline = until ? std::max<int64_t>(*until, 1) : 0;
    auto ev = sub->next(deadline);
    if (!ev) break;
    if (until && ev->time_nano > *until) break;
    if (!filter->matches(*ev)) continue;
    if (!w.write_chunk(dockerapi::render_event(*ev).dump() + "\n")) break;
  }
  uint64_t one = 1;
  (void)!::write(stop.get(), &one, sizeof one);
  sub->cancel();
  watcher.join();
  return w.end_stream();
}

Result<void> disk_usage(const DfSources& df, ResponseWriter& w) {
  nlohmann::json containers = nlohmann::json::array();
  model::ListOptions all;
  all.all = true;
  all.size = true;
  int64_t now = std::time(nullptr);
  for (const auto& c : TRY(df.containers->list(all))) containers.push_back(dockerapi::render_summary(c, now));
  nlohmann::json cache = nlohmann::json::array();
  if (df.build)
    for (const auto& u : TRY(df.build->usage()))
      cache.push_back({{"ID", u.id},
                       {"Parent", ""},
                       {"Type", "regular"},
                       {"Description", "the step that made image " + u.image_id},
                       {"InUse", u.in_use},
                       {"Shared", u.shared},
                       {"Size", u.size},
                       {"CreatedAt", u.last_used},
                       {"LastUsedAt", u.last_used},
                       {"UsageCount", 1}});
  nlohmann::json out = {{"Containers", containers}, {"Volumes", TRY(df.volumes->volume_df())}, {"BuildCache", cache}};
  auto images = TRY(df.images->image_df());
  for (auto& [k, v] : images.items()) out[k] = nlohmann::json::parse(v.dump());
  return w.json(200, out);
}

// Docker's RegistryConfig: CIDRs and hosts reached insecurely (127.0.0.0/8
// always), Docker Hub's mirrors (docker info prints both).
nlohmann::json registry_config(const SystemInfo& info) {
  nlohmann::json cidrs = nlohmann::json::array({"127.0.0.0/8"});
  nlohmann::json mirrors = info.registry_mirrors;
  nlohmann::json indexes = {{"docker.io", {{"Name", "docker.io"}, {"Mirrors", mirrors}, {"Secure", true}, {"Official", true}}}};
  for (const auto& r : info.insecure_registries) {
    if (r.find('/') != std::string::npos) {
      if (r != "127.0.0.0/8") cidrs.push_back(r);
    } else {
      indexes[r] = {{"Name", r}, {"Mirrors", nlohmann::json::array()}, {"Secure", false}, {"Official", false}};
    }
  }
  return {{"AllowNondistributableArtifactsCIDRs", nlohmann::json::array()},
          {"AllowNondistributableArtifactsHostnames", nlohmann::json::array()},
          {"InsecureRegistryCIDRs", cidrs},
          {"IndexConfigs", indexes},
          {"Mirrors", mirrors}};
}

}  // namespace

// docker info's SecurityOptions: dockerd lists name=userns under
// --userns-remap and name=rootless for a rootless daemon.
static nlohmann::json security_options(const SystemInfo& info) {
  auto options = nlohmann::json::array({"name=seccomp,profile=default"});
  if (info.userns_remap) options.push_back("name=userns");
  if (info.rootless) options.push_back("name=rootless");
  return options;
}

void add_system_routes(Router& r, backend::SystemBackend& system, const SystemInfo& info, DfSources df) {
  auto ping = [](Request& req, ResponseWriter& w) {
    return w.send(200, "text/plain; charset=utf-8", "OK",
                  {{"Cache-Control", "no-cache, no-store, must-revalidate"}, {"Pragma", "no-cache"},
                   {"Builder-Version", ""}});
  };
  r.add("GET", "/_ping", ping);
  r.add("HEAD", "/_ping", ping);
  r.add("GET", "/version", [info](Request& req, ResponseWriter& w) {
    std::string kernel = kernel_release();
    nlohmann::json details = {{"ApiVersion", "1.41"}, {"MinAPIVersion", "1.24"}, {"Os", "linux"},
                              {"Arch", "amd64"},      {"KernelVersion", kernel}, {"GitCommit", ""},
                              {"GoVersion", ""},      {"BuildTime", ""},         {"Experimental", "false"}};
    return w.json(200, {{"Platform", {{"Name", "berth " + info.version}}},
                        {"Components", {{{"Name", "Engine"}, {"Version", info.version}, {"Details", details}}}},
                        {"Version", info.version},
                        {"ApiVersion", "1.41"},
                        {"MinAPIVersion", "1.24"},
                        {"GitCommit", ""},
                        {"GoVersion", ""},
                        {"Os", "linux"},
                        {"Arch", "amd64"},
                        {"KernelVersion", kernel},
                        {"BuildTime", ""}});
  });
  r.add("GET", "/info", [&system, info](Request& req, ResponseWriter& w) {
    auto e = system.info();
    nlohmann::json runtimes = nlohmann::json::object();
    for (const auto& name : e.runtimes) runtimes[name] = {{"path", name == "berth" ? "berth-runtime" : name == "berth-vm" || name == "vm" ? "berth-vm-runner" : name}};
    return w.json(200, {{"ID", ""},
                        {"Containers", e.containers},
                        {"ContainersRunning", e.running},
                        {"ContainersPaused", e.paused},
                        {"ContainersStopped", e.stopped},
                        {"Images", e.images},
                        {"Driver", "overlay2"},
                        {"DriverStatus", nlohmann::json::array()},
                        {"Plugins", {{"Volume", {"local"}}, {"Network", {"bridge", "host", "none"}},
                                     {"Authorization", nullptr}, {"Log", {"json-file", "none"}}}},
                        {"MemoryLimit", true},
                        {"SwapLimit", e.swap_limit},
                        {"KernelMemory", false},
                        {"CpuCfsPeriod", true},
                        {"CpuCfsQuota", true},
                        {"CPUShares", true},
                        {"CPUSet", true},
                        {"PidsLimit", true},
                        {"IPv4Forwarding", proc_flag("/proc/sys/net/ipv4/ip_forward")},
                        {"BridgeNfIptables", proc_flag("/proc/sys/net/bridge/bridge-nf-call-iptables")},
                        {"BridgeNfIp6tables", proc_flag("/proc/sys/net/bridge/bridge-nf-call-ip6tables")},
                        {"Debug", info.debug},
                        {"NFd", open_fds()},
                        {"OomKillDisable", true},
                        {"NGoroutines", threads()},
                        {"SystemTime", rfc3339_now()},
                        {"LoggingDriver", e.logging_driver},
                        {"CgroupDriver", "cgroupfs"},
                        {"CgroupVersion", e.cgroup2 ? "2" : "1"},
                        {"NEventsListener", e.event_listeners},
                        {"KernelVersion", kernel_release()},
                        {"OperatingSystem", os_name()},
                        {"OSVersion", ""},
                        {"OSType", "linux"},
                        {"Architecture", "x86_64"},
                        {"IndexServerAddress", "https://index.docker.io/v1/"},
                        {"RegistryConfig", registry_config(info)},
                        {"NCPU", sysconf(_SC_NPROCESSORS_ONLN)},
                        {"MemTotal", mem_total()},
                        {"GenericResources", nullptr},
                        {"DockerRootDir", info.data_root},
                        {"HttpProxy", ""},
                        {"HttpsProxy", ""},
                        {"NoProxy", ""},
                        {"Name", hostname()},
                        {"Labels", nlohmann::json::array()},
                        {"ExperimentalBuild", false},
                        {"ServerVersion", info.version},
                        {"Runtimes", runtimes},
                        {"DefaultRuntime", e.default_runtime},
                        {"Swarm", {{"NodeID", ""}, {"NodeAddr", ""}, {"LocalNodeState", "inactive"},
                                   {"ControlAvailable", false}, {"Error", ""}, {"RemoteManagers", nullptr}}},
                        {"LiveRestoreEnabled", true},
                        {"Isolation", ""},
                        {"InitBinary", "berth-init"},
                        {"ContainerdCommit", {{"ID", ""}, {"Expected", ""}}},
                        {"RuncCommit", {{"ID", ""}, {"Expected", ""}}},
                        {"InitCommit", {{"ID", ""}, {"Expected", ""}}},
                        {"SecurityOptions", security_options(info)},
                        {"Warnings", nlohmann::json::array()}});
  });
  r.add("GET", "/events", [&system](Request& q, ResponseWriter& w) { return events(system, q, w); });
  r.add("GET", "/system/df", [df](Request&, ResponseWriter& w) { return disk_usage(df, w); });
}

}  // namespace berth::server
