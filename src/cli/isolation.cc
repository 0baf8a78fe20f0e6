// `berth isolation`: the same small workloads under each isolation level the
// daemon offers, measured on this machine through the API: start-to-exit
// time, a syscall-heavy and a compute-heavy loop's time against namespaces,
// the host memory of one idle container (PSS of its host processes, read from
// /proc when the daemon is on this host), and what the level isolates (the
// kernel release, the processes /proc shows, the devices /dev holds),
// compared with the host's.
#include <dirent.h>
#include <sys/utsname.h>

#include <chrono>
#include <fstream>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/command.h"

namespace berth::cli {
namespace {

struct Level {
  std::string name, runtime;
  Json host_config_extra = Json::object();
};

struct Run {
  double seconds = 0;
  int exit_code = -1;
  std::string out;
};

// The stdout of a non-tty container's logs (8-byte frame headers).
std::string demux(const std::string& body) {
  std::string outp;
  size_t i = 0;
  while (i + 8 <= body.size()) {
    uint32_t len = (uint8_t(body[i + 4]) << 24) | (uint8_t(body[i + 5]) << 16) | (uint8_t(body[i + 6]) << 8) |
                   uint8_t(body[i + 7]);
    if (body[i] == 1) outp.append(body, i + 8, len);
    i += 8 + len;
  }
  return outp;
}

Result<std::string> create(Cli& cli, const Level& l, const std::string& image, const std::vector<std::string>& cmd) {
  Json hc = l.host_config_extra;
  hc["Runtime"] = l.runtime;
  auto r = TRY(cli.post("/containers/create", Json{{"Image", image}, {"Cmd", cmd}, {"HostConfig", hc}}));
  auto j = TRY(r.json());
  return j.value("Id", "");
}

void remove(Cli& cli, const std::string& id) { (void)cli.call("DELETE", "/containers/" + id + "?force=1"); }

// create + start + wait + logs, timed from the start request to the wait's answer.
Result<Run> run_once(Cli& cli, const Level& l, const std::string& image, const std::vector<std::string>& cmd) {
  std::string id = TRY(create(cli, l, image, cmd));
  Run r;
  auto t0 = std::chrono::steady_clock::now();
  auto started = cli.post("/containers/" + id + "/start", Json::object());
  if (!started) {
    remove(cli, id);
    return std::unexpected(started.error());
  }
  auto waited = cli.post("/containers/" + id + "/wait", Json::object());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (waited)
    if (auto j = waited->json()) r.exit_code = j->value("StatusCode", -1);
  if (auto logs = cli.call("GET", "/containers/" + id + "/logs?stdout=1")) r.out = demux(logs->body);
  remove(cli, id);
  return r;
}

uint64_t pss_kib(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("Pss:", 0) == 0) return std::strtoull(line.c_str() + 4, nullptr, 10);
  return 0;
}

long parent_of(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  auto fields = split(s.substr(close + 2), ' ', true);
  return fields.size() > 1 ? std::strtol(fields[1].c_str(), nullptr, 10) : 0;
}

std::vector<long> children_of(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<long> out;
  long c;
  while (f >> c) out.push_back(c);
  return out;
}

// The PSS of an idle container's host processes: its monitor (the shim), the
// process the daemon reports (the container's, or a VM's runner) and that
// process's children (QEMU, virtiofsd). nullopt when they are not on this host.
Result<std::optional<double>> idle_memory_mib(Cli& cli, const Level& l, const std::string& image, std::string* accel) {
  std::string id = TRY(create(cli, l, image, {"sleep", "60"}));
  auto started = cli.post("/containers/" + id + "/start", Json::object());
  if (!started) {
    remove(cli, id);
    return std::unexpected(started.error());
  }
  // Settled: an exec answers once the process runs (a VM's agent too).
  if (auto e = cli.post("/containers/" + id + "/exec", Json{{"Cmd", {"true"}}})) {
    if (auto j = e->json()) (void)cli.post("/exec/" + j->value("Id", "") + "/start", Json{{"Detach", false}});
  }
  std::optional<double> mib;
  if (auto info = cli.get_json("/containers/" + id + "/json")) {
    long pid = (*info)["State"].value("Pid", 0L);
    if ((*info)["State"].contains("RuntimeDetails")) *accel = (*info)["State"]["RuntimeDetails"].value("VMAccel", "");
    if (pid > 0 && pss_kib(pid) > 0) {
      uint64_t kib = pss_kib(pid) + pss_kib(parent_of(pid));
      if (l.runtime != "berth")
        for (long c : children_of(pid)) kib += pss_kib(c);
      mib = kib / 1024.0;
    }
  }
  remove(cli, id);
  return mib;
}

size_t host_pids() {
  size_t n = 0;
  if (DIR* d = ::opendir("/proc")) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9') ++n;
    ::closedir(d);
  }
  return n;
}

size_t host_devices() {
  size_t n = 0;
  if (DIR* d = ::opendir("/dev")) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

Result<int> isolation(Cli& cli, const std::string& image) {
  Json info = TRY(cli.get_json("/info"));
  std::vector<Level> levels = {{"namespaces", "berth"}};
  // A user namespace through the API (HostConfig.UsernsMode): offered only if the daemon takes it.
  Level userns{"namespaces + user namespace", "berth", Json{{"UsernsMode", "private"}}};
  auto probe = create(cli, userns, image, {"true"});
  std::string userns_note;
  if (probe) {
    remove(cli, *probe);
    levels.push_back(userns);
  } else {
    userns_note = probe.error().message;
  }
  std::string vm_note;
  if (info.contains("Runtimes") && info["Runtimes"].contains("berth-vm"))
    levels.push_back({"microVM", "berth-vm"});
  else
    vm_note = "the daemon has no berth-vm runtime";

  const std::vector<std::string> syscalls = {"sh", "-c", "dd if=/dev/zero of=/dev/null bs=1 count=200000 2>/dev/null"};
  const std::vector<std::string> compute = {"awk", "BEGIN{for(i=0;i<1000000;i++)s+=i*i}"};
  const std::vector<std::string> facts = {"sh", "-c", "uname -r; ls /proc | grep -c '^[0-9]'; ls /dev | wc -l"};

  utsname u{};
  ::uname(&u);
  outf("host: kernel {}, {} processes in /proc, {} entries in /dev\n\n", u.release, host_pids(), host_devices());
  outf("{:<30} {:>10} {:>12} {:>12} {:>12}  {:<24} {:>6} {:>5}\n", "level", "start-exit", "syscalls", "compute",
       "idle memory", "kernel", "/proc", "/dev");
  double base_sys = 0, base_cpu = 0;
  for (const auto& l : levels) {
    std::string name = l.name, accel;
    auto t = TRY(run_once(cli, l, image, {"true"}));
    auto s = TRY(run_once(cli, l, image, syscalls));
    auto c = TRY(run_once(cli, l, image, compute));
    auto f = TRY(run_once(cli, l, image, facts));
    auto mem = TRY(idle_memory_mib(cli, l, image, &accel));
    // The workload's own time: its run minus an empty run's.
    double sys = std::max(s.seconds - t.seconds, 0.0), cpu = std::max(c.seconds - t.seconds, 0.0);
    if (l.runtime == "berth" && l.host_config_extra.empty()) base_sys = sys, base_cpu = cpu;
    auto lines = split(trim(f.out), '\n', true);
    std::string kernel = lines.size() > 0 ? lines[0] : "?";
    std::string kernel_col = kernel == u.release ? kernel + " (host's)" : kernel + " (own)";
    std::string ratio_sys = base_sys > 0 ? fmt::format("{:.2f}s {:.1f}x", sys, sys / base_sys) : fmt::format("{:.2f}s", sys);
    std::string ratio_cpu = base_cpu > 0 ? fmt::format("{:.2f}s {:.1f}x", cpu, cpu / base_cpu) : fmt::format("{:.2f}s", cpu);
    std::string mem_col = mem ? fmt::format("{:.1f} MiB", *mem) : "n/a (remote)";
    if (!accel.empty()) name += " (" + accel + ")";
    outf("{:<30} {:>9.2f}s {:>12} {:>12} {:>12}  {:<24} {:>6} {:>5}\n", name, t.seconds, ratio_sys, ratio_cpu, mem_col,
         kernel_col, lines.size() > 1 ? lines[1] : "?", lines.size() > 2 ? lines[2] : "?");
  }
  if (!userns_note.empty()) outf("\nnamespaces + user namespace: not offered by this daemon: {}\n", userns_note);
  if (!vm_note.empty()) outf("microVM: not offered: {}\n", vm_note);
  out("\nsyscalls: dd of 200000 one-byte reads and writes; compute: an awk loop of 10^6 multiplications;\n"
      "each is its run's time minus an empty run's, and the ratio is against namespaces.\n"
      "idle memory: PSS of the container's host processes (shim; process or VM runner, QEMU, virtiofsd).\n");
  return 0;
}

}  // namespace

void add_isolation_command(Invocation& inv, CLI::App* root) {
  if (!inv.wants(root, "isolation")) return;
  auto image = std::make_shared<std::string>("busybox:latest");
  CLI::App* app = add_command(inv, root, "isolation", "[OPTIONS]",
                              "Measure each isolation level this host offers (namespaces, user namespace, microVM)",
                              nullptr, {}, [&cli = inv.cli, image]() -> Result<int> { return isolation(cli, *image); });
  add_string(app, "--image", *image, "The image the workloads run in (it must be present; needs sh, dd, awk)");
}

}  // namespace berth::cli
