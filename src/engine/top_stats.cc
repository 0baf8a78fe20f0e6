// docker top (from /proc, no ps subprocess) and docker stats (the runtime's
// cgroup figures in Docker's stats shape).
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>

#include <fmt/format.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/strings.h"
#include "engine/engine.h"
#include "runtime/container.h"
#include "volume/service.h"

namespace berth::engine {
namespace {

struct ProcInfo {
  pid_t pid = 0, ppid = 0;
  uid_t uid = 0;
  uint64_t utime = 0, stime = 0, start_ticks = 0;
  int tty_nr = 0;
  std::string comm, cmdline;
};

std::optional<ProcInfo> read_proc(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  ProcInfo p;
  p.pid = pid;
  auto open = stat->find('('), close = stat->rfind(')');
  if (open == std::string::npos || close == std::string::npos) return std::nullopt;
  p.comm = stat->substr(open + 1, close - open - 1);
  auto fields = split(stat->substr(close + 2), ' ', true);
  // fields[0] is state (field 3); utime is field 14, stime 15, starttime 22.
  if (fields.size() < 20) return std::nullopt;
  p.ppid = std::stoi(fields[1]);
  p.tty_nr = std::stoi(fields[4]);
  p.utime = std::stoull(fields[11]);
  p.stime = std::stoull(fields[12]);
  p.start_ticks = std::stoull(fields[19]);
  if (auto status = read_file("/proc/" + std::to_string(pid) + "/status")) {
    auto pos = status->find("\nUid:");
    if (pos != std::string::npos) p.uid = std::stoul(status->substr(pos + 5));
  }
  if (auto cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline"); cmd && !cmd->empty()) {
    std::string c = *cmd;
    while (!c.empty() && c.back() == '\0') c.pop_back();
    for (auto& ch : c)
      if (ch == '\0') ch = ' ';
    p.cmdline = c;
  } else {
    p.cmdline = "[" + p.comm + "]";
  }
  return p;
}

std::string user_name(uid_t uid) {
  struct passwd pw, *res = nullptr;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res) return res->pw_name;
  return std::to_string(uid);
}

std::string tty_name(int tty_nr) {
  if (tty_nr == 0) return "?";
  int major = (tty_nr >> 8) & 0xfff, minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
  if (major == 136) return "pts/" + std::to_string(minor);
  if (major == 4) return "tty" + std::to_string(minor);
  return "?";
}

double uptime_seconds() {
  auto t = read_file("/proc/uptime");
  return t ? std::stod(*t) : 0;
}

uint64_t system_cpu_ns() {
  // The first line of /proc/stat in clock ticks, as Docker's system_cpu_usage.
  auto t = read_file("/proc/stat");
  if (!t) return 0;
  auto line = t->substr(0, t->find('\n'));
  uint64_t total = 0;
  auto parts = split(line, ' ', true);
  for (size_t i = 1; i < parts.size() && i <= 8; ++i) total += std::stoull(parts[i]);
  return total * (1000000000ull / sysconf(_SC_CLK_TCK));
}

}  // namespace

Result<nlohmann::json> Engine::top(const std::string& ref, const std::string& ps_args) {
  auto c = TRY(find(ref));
  {
    std::lock_guard lk(mu_);
    if (!c->state.running) return fail(Errc::Conflict, "Container " + c->id + " is not running");
  }
  if (!ps_args.empty() && ps_args != "-ef" && ps_args != "-f" && ps_args != "-e")
    return fail(Errc::InvalidArgument, "ps_args \"" + ps_args + "\" is not supported: berthd lists processes "
                                       "from /proc in ps -ef's columns");
  runtime::RuntimeContext ctx;
  ctx.root = runtime_root();
  auto pids = TRY(runtime::container_pids(ctx, c->id));
  long hz = sysconf(_SC_CLK_TCK);
  double up = uptime_seconds();
  std::time_t now = std::time(nullptr);
  nlohmann::json procs = nlohmann::json::array();
  for (pid_t pid : pids) {
    auto p = read_proc(pid);
    if (!p) continue;
    double started_ago = up - static_cast<double>(p->start_ticks) / hz;
    std::time_t start = now - static_cast<std::time_t>(started_ago);
    std::tm tm{};
    localtime_r(&start, &tm);
    char stime[16];
    std::strftime(stime, sizeof stime, started_ago < 86400 ? "%H:%M" : "%b%d", &tm);
    uint64_t cpu_s = (p->utime + p->stime) / hz;
    int c_pct = started_ago > 0 ? static_cast<int>((p->utime + p->stime) * 100.0 / hz / started_ago) : 0;
    procs.push_back({user_name(p->uid), std::to_string(p->pid), std::to_string(p->ppid), std::to_string(c_pct),
                     stime, tty_name(p->tty_nr),
                     fmt::format("{:02}:{:02}:{:02}", cpu_s / 3600, cpu_s / 60 % 60, cpu_s % 60), p->cmdline});
  }
  return nlohmann::json{{"Titles", {"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}}, {"Processes", procs}};
}

Result<nlohmann::json> Engine::stats_once(const std::string& ref, const nlohmann::json* previous) {
  auto c = TRY(find(ref));
  std::string name, id;
  bool running;
  {
    std::lock_guard lk(mu_);
    name = c->name;
    id = c->id;
    running = c->state.running;
  }
  nlohmann::json out = {{"read", rfc3339_now()},
                        {"preread", kZeroTime},
                        {"name", name},
                        {"id", id},
                        {"num_procs", 0},
                        {"pids_stats", nlohmann::json::object()},
                        {"blkio_stats",
                         {{"io_service_bytes_recursive", nullptr},
                          {"io_serviced_recursive", nullptr},
                          {"io_queue_recursive", nullptr},
                          {"io_service_time_recursive", nullptr},
                          {"io_wait_time_recursive", nullptr},
                          {"io_merged_recursive", nullptr},
                          {"io_time_recursive", nullptr},
                          {"sectors_recursive", nullptr}}},
                        {"storage_stats", nlohmann::json::object()},
                        {"cpu_stats", {{"cpu_usage", {{"total_usage", 0}, {"usage_in_kernelmode", 0}, {"usage_in_usermode", 0}}},
                                       {"throttling_data", {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}}}}},
                        {"precpu_stats", {{"cpu_usage", {{"total_usage", 0}, {"usage_in_kernelmode", 0}, {"usage_in_usermode", 0}}},
                                          {"throttling_data", {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}}}}},
                        {"memory_stats", nlohmann::json::object()}};
  if (previous) {
    out["preread"] = (*previous)["read"];
    out["precpu_stats"] = (*previous)["cpu_stats"];
  }
  if (!running) return out;
  runtime::RuntimeContext ctx;
  ctx.root = runtime_root();
  auto s = runtime::container_stats(ctx, id);
  if (!s) return out;  // it stopped in between: Docker answers the zero form too
  const auto& cpu = (*s)["cpu"];
  int ncpu = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  out["cpu_stats"] = {{"cpu_usage",
                       {{"total_usage", cpu["usage"].value("total", 0ull)},
                        {"percpu_usage", cpu["usage"].value("percpu", nlohmann::json::array())},
                        {"usage_in_kernelmode", cpu["usage"].value("kernel", 0ull)},
                        {"usage_in_usermode", cpu["usage"].value("user", 0ull)}}},
                      {"system_cpu_usage", system_cpu_ns()},
                      {"online_cpus", ncpu},
                      {"throttling_data",
                       {{"periods", cpu["throttling"].value("periods", 0ull)},
                        {"throttled_periods", cpu["throttling"].value("throttledPeriods", 0ull)},
                        {"throttled_time", cpu["throttling"].value("throttledTime", 0ull)}}}};
  const auto& mem = (*s)["memory"];
  nlohmann::json raw = mem.value("raw", nlohmann::json::object());
  uint64_t limit = mem["usage"].value("limit", 0ull);
  if (limit == 0 || limit > (1ull << 62)) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    limit = static_cast<uint64_t>(pages) * page;
  }
  out["memory_stats"] = {{"usage", mem["usage"].value("usage", 0ull)},
                         {"max_usage", mem["usage"].value("max", 0ull)},
                         {"failcnt", mem["usage"].value("failcnt", 0ull)},
                         {"stats", raw},
                         {"limit", limit}};
  out["pids_stats"] = {{"current", (*s)["pids"].value("current", 0ull)}};
  if (auto l = (*s)["pids"].value("limit", 0ull); l > 0) out["pids_stats"]["limit"] = l;
  const auto& blk = (*s)["blkio"];
  auto conv = [](const nlohmann::json& list) {
    if (!list.is_array()) return nlohmann::json(nullptr);
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : list)
      a.push_back({{"major", e.value("major", 0)}, {"minor", e.value("minor", 0)}, {"op", e.value("op", "")},
                   {"value", e.value("value", 0ull)}});
    return a;
  };
  if (blk.is_object()) {
    out["blkio_stats"]["io_service_bytes_recursive"] = conv(blk.value("ioServiceBytesRecursive", nlohmann::json()));
    out["blkio_stats"]["io_serviced_recursive"] = conv(blk.value("ioServicedRecursive", nlohmann::json()));
  }
  return out;
}

Result<nlohmann::json> Engine::df() {
  nlohmann::json containers = nlohmann::json::array();
  std::vector<std::shared_ptr<Container>> all;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, c] : containers_) all.push_back(c);
  }
  for (auto& c : all) {
    nlohmann::json j;
    {
      std::lock_guard lk(mu_);
      j = summary_json(*c);
    }
    std::lock_guard lk(image_mu_);
    if (auto u = images_->snapshots().usage(c->id)) j["SizeRw"] = u->bytes;
    containers.push_back(j);
  }
  nlohmann::json volumes = volumes_->df().value_or(nlohmann::json::array());
  return nlohmann::json{{"Containers", containers}, {"Volumes", volumes}};
}

}  // namespace berth::engine
