// runtime_bench: compare OCI runtimes (berth-runtime, crun, runc, ...) on one bundle.
//
//   runtime_bench --bundle DIR --runtime NAME=PATH [--runtime NAME=PATH ...]
//                 [--runs 100] [--rounds 50] [--warmup 3] [--timeout-ms 10000]
//                 [--runtime-arg NAME=ARG ...] [--hide-cgroup2-unified] [--markdown FILE]
//
// The first --runtime is the subject: the table gives its ratio to each other runtime.
//
// What is measured (all runtimes interleaved, one invocation at a time):
//   * `run`: wall time from just before posix_spawn of `RT --root S run --bundle B ID` to the
//     return of wait4 on it, --runs times per runtime (order A, B, C, A, B, C, ...).
//   * `create --pid-file`, `start`, `delete`: each timed the same way, --rounds rounds; a round
//     is create+start+delete for A, then for B, then for C. Between `start` and `delete` the bench
//     waits (untimed) for the container process to exit, so `delete` always finds a stopped
//     container.
//   * peak RSS: ru_maxrss from wait4 of the runtime process, for `run` and `create`. The kernel
//     reports max(runtime's own high-water RSS, that of the descendants it reaped itself), so for
//     `run` it includes the runtime's in-container helper (e.g. `runc init`) when the runtime reaps
//     it; for `create` the container process is not reaped by the runtime and is not included.
//
// Every number comes from an invocation that exited 0 and passed checks: before timing, each
// runtime must pass a probe (a `run` of a copy of the bundle whose process writes its pid and
// namespace ids into its rootfs: pid must be 1, the pid/mnt/net/ipc/uts namespaces must differ
// from the bench's); every timed `create` is checked (container process alive, in new
// namespaces, rooted in the bundle rootfs), every container must exit 0 after `start`, `state`
// must fail after `delete`, and no cgroup (linux.cgroupsPath) may be left after `run`/`delete`.
// A runtime that is missing or fails a probe is reported as such and the others are still run.
//
// Each runtime gets its own --root state directory in a temporary directory that is removed at
// exit; container ids are unique per invocation; container stdin/stdout/stderr are /dev/null.
// The bench makes itself a child subreaper so that container processes orphaned by `create`
// are reaped here (and their exit status checked), not by the machine's init.
//
// --hide-cgroup2-unified: run every runtime in a private mount namespace (propagation slave)
// in which /sys/fs/cgroup/unified is lazily unmounted, so that on a "hybrid" cgroup host the
// runtimes see a pure cgroup v1 layout (crun 1.8 refuses to run on a hybrid host whose cgroup2
// hierarchy holds a controller). The host's mounts are not changed.

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

volatile sig_atomic_t g_interrupted = 0;
void on_signal(int) { g_interrupted = 1; }

[[noreturn]] void die(const std::string& msg) {
  fmt::print(stderr, "runtime_bench: {}\n", msg);
  std::exit(2);
}

std::string errno_str() { return std::strerror(errno); }

double now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

int pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                         "@%+=:,./-_") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail(std::string s, size_t max = 600) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.size() > max) s = "..." + s.substr(s.size() - max);
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s;
}

// ---------------------------------------------------------------------------------------------
// Process invocation

struct Outcome {
  bool ok = false;       // exited with status 0 (and did not time out)
  bool timed_out = false;
  int status = 0;        // raw wait status
  double ms = 0;         // CLOCK_MONOTONIC, spawn .. wait4 return
  long maxrss_kb = 0;    // ru_maxrss from wait4
  std::string spawn_error;
};

std::string describe(const Outcome& o) {
  if (!o.spawn_error.empty()) return "spawn failed: " + o.spawn_error;
  if (o.timed_out) return "timed out (killed)";
  if (WIFEXITED(o.status)) return fmt::format("exit status {}", WEXITSTATUS(o.status));
  if (WIFSIGNALED(o.status)) return fmt::format("killed by signal {}", WTERMSIG(o.status));
  return fmt::format("wait status {:#x}", o.status);
}

int g_devnull = -1;

// Spawns argv with stdin/stdout = /dev/null and stderr = err_fd (or /dev/null), waits for it with
// wait4 and returns its wall time and rusage. The argv array is built before the clock starts.
Outcome invoke(const std::vector<std::string>& args, int timeout_ms, int err_fd = -1) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, g_devnull, 0);
  posix_spawn_file_actions_adddup2(&fa, g_devnull, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd >= 0 ? err_fd : g_devnull, 2);

  Outcome o;
  pid_t pid = -1;
  const double t0 = now_ms();
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  if (rc != 0) {
    posix_spawn_file_actions_destroy(&fa);
    o.spawn_error = std::strerror(rc);
    return o;
  }
  // Guard against a hung runtime: wait for the pidfd with a timeout, then reap with wait4.
  int pfd = pidfd_open(pid);
  if (pfd >= 0) {
    pollfd p{pfd, POLLIN, 0};
    int n;
    do n = poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n == 0) {
      kill(pid, SIGKILL);
      o.timed_out = true;
    }
  }
  rusage ru{};
  pid_t w;
  do w = wait4(pid, &o.status, 0, &ru);
  while (w < 0 && errno == EINTR);
  const double t1 = now_ms();
  if (pfd >= 0) close(pfd);
  posix_spawn_file_actions_destroy(&fa);
  o.ms = t1 - t0;
  o.maxrss_kb = ru.ru_maxrss;
  o.ok = !o.timed_out && w == pid && WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0;
  return o;
}

// Reaps zombies left to us as subreaper (only call when no tracked child is outstanding).
void reap_strays() {
  int st;
  while (waitpid(-1, &st, WNOHANG) > 0) {
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  double pos = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return v[lo] + (v[hi] - v[lo]) * frac;
}

struct Series {
  std::vector<double> ms;
  std::vector<double> rss_kb;
  int attempts = 0;
  int failures = 0;
  std::string first_error;
  void fail(const std::string& why) {
    ++failures;
    if (first_error.empty()) first_error = why;
  }
};

enum Op { kRun, kCreate, kStart, kDelete, kNumOps };
const char* kOpName[kNumOps] = {"run", "create", "start", "delete"};

// ---------------------------------------------------------------------------------------------
// Runtimes

struct Runtime {
  std::string name;
  std::string path;
  std::vector<std::string> global_args;  // extra args before --root
  fs::path state_dir;
  bool run_ok = false;   // passed the `run` probe
  bool csd_ok = false;   // passed the create/start/delete probe
  std::string run_why, csd_why;
  Series series[kNumOps];
  std::vector<std::string> maybe_live;  // ids that may still exist (for cleanup)

  std::vector<std::string> cmd(std::initializer_list<std::string> tail_args) const {
    std::vector<std::string> v{path};
    v.insert(v.end(), global_args.begin(), global_args.end());
    v.push_back("--root");
    v.push_back(state_dir.string());
    v.insert(v.end(), tail_args);
    return v;
  }
};

struct Config {
  fs::path bundle;
  int runs = 100;
  int rounds = 50;
  int warmup = 3;
  int timeout_ms = 10000;
  bool hide_unified = false;
  std::string markdown_path;
};

struct Env {
  Config cfg;
  fs::path tmp;
  fs::path rootfs;                  // bundle rootfs (absolute)
  std::string cgroups_path;         // linux.cgroupsPath of the bundle, "" if none
  std::vector<fs::path> cgroup_roots;  // v1 hierarchies (+ unified if visible)
  int unified_fd = -1;              // the host's cgroup2 mount, kept when hidden
  std::map<std::string, std::string> own_ns;  // ns name -> "pid:[...]" of the bench
  struct stat busybox_st{};
  bool have_busybox = false;
  int seq = 0;
};

const char* kNamespaces[] = {"pid", "mnt", "net", "ipc", "uts"};

std::string ns_link(const std::string& proc, const char* ns) {
  char buf[128];
  ssize_t n = readlink(fmt::format("/proc/{}/ns/{}", proc, ns).c_str(), buf, sizeof buf - 1);
  if (n < 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

std::string next_id(Env& env, const Runtime& rt, const char* phase) {
  return fmt::format("rtb{}-{}-{}-{}", getpid(), rt.name, phase, env.seq++);
}

// Returns "" if no cgroup named cgroupsPath is left in any hierarchy, else a description; removes
// what it finds (empty leftovers) so that the next iteration starts clean.
std::string check_cgroups_gone(const Env& env) {
  if (env.cgroups_path.empty()) return {};
  std::string rel = env.cgroups_path;
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  std::string left;
  for (const auto& root : env.cgroup_roots) {
    fs::path p = root / rel;
    if (access(p.c_str(), F_OK) == 0) {
      left += " " + p.string();
      rmdir(p.c_str());
    }
  }
  if (env.unified_fd >= 0 && faccessat(env.unified_fd, rel.c_str(), F_OK, 0) == 0) {
    left += " /sys/fs/cgroup/unified/" + rel + " (host view)";
    unlinkat(env.unified_fd, rel.c_str(), AT_REMOVEDIR);
  }
  return left.empty() ? std::string{} : "cgroup left behind:" + left;
}

// Checks a created (not yet started) container process.
std::string check_created(const Env& env, pid_t pid) {
  if (pid <= 0) return "no pid in --pid-file";
  std::string p = std::to_string(pid);
  if (kill(pid, 0) != 0) return fmt::format("container process {} does not exist", pid);
  for (const char* ns : kNamespaces) {
    std::string l = ns_link(p, ns);
    if (l.empty()) return fmt::format("cannot read /proc/{}/ns/{}", pid, ns);
    if (l == env.own_ns.at(ns)) return fmt::format("container process {} is not in a new {} namespace", pid, ns);
  }
  if (env.have_busybox) {
    struct stat st{};
    if (stat(fmt::format("/proc/{}/root/bin/busybox", pid).c_str(), &st) != 0 ||
        st.st_ino != env.busybox_st.st_ino || st.st_dev != env.busybox_st.st_dev)
      return fmt::format("container process {} is not rooted in the bundle rootfs", pid);
  }
  return {};
}

std::optional<pid_t> read_pid_file(const fs::path& f) {
  std::string s = read_file(f);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (v <= 0) return std::nullopt;
  return static_cast<pid_t>(v);
}

// Waits (untimed) for the container process to exit; reaps it if it is our child (subreaper)
// and returns "" when it exited 0 (or its status is not ours to see), else an error.
std::string wait_container_exit(pid_t pid, int pidfd, int timeout_ms) {
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int n;
    do n = poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n == 0) return fmt::format("container process {} still running {} ms after start", pid, timeout_ms);
  }
  int st = 0;
  pid_t w = waitpid(pid, &st, 0);
  if (w == pid) {
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
      return fmt::format("container process exited with wait status {:#x}", st);
  }
  return {};
}

// Best-effort removal of a container (untimed, stderr discarded).
void force_delete(const Config& cfg, Runtime& rt, const std::string& id) {
  invoke(rt.cmd({"delete", "--force", id}), cfg.timeout_ms);
  reap_strays();
}

// --- one `run` ---------------------------------------------------------------------------------
void one_run(Env& env, Runtime& rt, bool record) {
  std::string id = next_id(env, rt, "run");
  rt.maybe_live.push_back(id);
  Outcome o = invoke(rt.cmd({"run", "--bundle", env.cfg.bundle.string(), id}), env.cfg.timeout_ms);
  reap_strays();
  Series& s = rt.series[kRun];
  if (record) ++s.attempts;
  std::string err;
  if (!o.ok) {
    err = "run: " + describe(o);
    force_delete(env.cfg, rt, id);
  }
  std::string cg = check_cgroups_gone(env);
  if (err.empty() && !cg.empty()) err = "run: " + cg;
  if (record) {
    if (err.empty()) {
      s.ms.push_back(o.ms);
      s.rss_kb.push_back(static_cast<double>(o.maxrss_kb));
    } else {
      s.fail(err);
    }
  }
  if (err.empty()) rt.maybe_live.pop_back();
}

// --- one create/start/delete round -------------------------------------------------------------
// Returns "" on success. Records each step's time only when the whole round succeeded.
std::string one_csd(Env& env, Runtime& rt, bool record, int err_fd = -1) {
  const Config& cfg = env.cfg;
  std::string id = next_id(env, rt, "csd");
  fs::path pidfile = env.tmp / fmt::format("{}.pid", id);
  rt.maybe_live.push_back(id);
  Outcome oc, os, od;
  std::string err;
  int pidfd = -1;
  pid_t pid = -1;

  oc = invoke(rt.cmd({"create", "--bundle", cfg.bundle.string(), "--pid-file", pidfile.string(), id}),
              cfg.timeout_ms, err_fd);
  if (!oc.ok) err = "create: " + describe(oc);
  if (err.empty()) {
    auto p = read_pid_file(pidfile);
    pid = p.value_or(-1);
    err = check_created(env, pid);
    if (!err.empty()) err = "create: " + err;
    else pidfd = pidfd_open(pid);
  }
  if (err.empty()) {
    os = invoke(rt.cmd({"start", id}), cfg.timeout_ms, err_fd);
    if (!os.ok) err = "start: " + describe(os);
  }
  if (err.empty()) {
    err = wait_container_exit(pid, pidfd, cfg.timeout_ms);
    if (!err.empty()) err = "start: " + err;
  }
  if (pidfd >= 0) close(pidfd);
  if (err.empty()) {
    od = invoke(rt.cmd({"delete", id}), cfg.timeout_ms, err_fd);
    if (!od.ok) err = "delete: " + describe(od);
  }
  if (err.empty()) {
    Outcome st = invoke(rt.cmd({"state", id}), cfg.timeout_ms);
    if (st.ok) err = "delete: `state` still succeeds after `delete`";
  }
  reap_strays();
  if (!err.empty()) force_delete(cfg, rt, id);
  std::string cg = check_cgroups_gone(env);
  if (err.empty() && !cg.empty()) err = "delete: " + cg;
  unlink(pidfile.c_str());
  if (err.empty()) rt.maybe_live.pop_back();

  if (record) {
    for (int op = kCreate; op <= kDelete; ++op) ++rt.series[op].attempts;
    if (err.empty()) {
      rt.series[kCreate].ms.push_back(oc.ms);
      rt.series[kCreate].rss_kb.push_back(static_cast<double>(oc.maxrss_kb));
      rt.series[kStart].ms.push_back(os.ms);
      rt.series[kDelete].ms.push_back(od.ms);
    } else {
      // Attribute the failure to the step named in the message.
      int op = err.starts_with("create") ? kCreate : err.starts_with("start") ? kStart : kDelete;
      for (int o2 = kCreate; o2 <= kDelete; ++o2)
        if (o2 == op) rt.series[o2].fail(err);
        else rt.series[o2].fail("round aborted: " + err);
    }
  }
  return err;
}

// --- probes ------------------------------------------------------------------------------------
// A copy of the bundle whose process reports its pid and namespaces into its rootfs.
fs::path make_probe_bundle(const Env& env) {
  fs::path pb = env.tmp / "probe-bundle";
  fs::create_directories(pb);
  json cfg = json::parse(read_file(env.cfg.bundle / "config.json"));
  std::string root = cfg["root"]["path"].get<std::string>();
  fs::path src_root = fs::path(root).is_absolute() ? fs::path(root) : env.cfg.bundle / root;
  fs::copy(src_root, pb / "rootfs", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  cfg["root"]["path"] = "rootfs";
  cfg["process"]["args"] = json::array(
      {"/bin/sh", "-c",
       "{ echo self=$$; for n in pid mnt net ipc uts; do echo $n=$(readlink /proc/self/ns/$n); done; } "
       "> /tmp/.runtime-bench-probe"});
  std::ofstream(pb / "config.json") << cfg.dump(2);
  return pb;
}

std::string probe_run(Env& env, Runtime& rt, const fs::path& probe_bundle) {
  fs::path out = probe_bundle / "rootfs/tmp/.runtime-bench-probe";
  unlink(out.c_str());
  fs::path errf = env.tmp / fmt::format("{}.probe.err", rt.name);
  int efd = open(errf.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::string id = next_id(env, rt, "probe");
  rt.maybe_live.push_back(id);
  Outcome o = invoke(rt.cmd({"run", "--bundle", probe_bundle.string(), id}), env.cfg.timeout_ms, efd);
  if (efd >= 0) close(efd);
  reap_strays();
  std::string why;
  if (!o.ok) {
    why = fmt::format("`run` failed ({}): {}", describe(o), tail(read_file(errf)));
    force_delete(env.cfg, rt, id);
  } else {
    rt.maybe_live.pop_back();
    std::map<std::string, std::string> kv;
    std::istringstream in(read_file(out));
    for (std::string line; std::getline(in, line);) {
      auto eq = line.find('=');
      if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
    if (kv.empty()) {
      why = "`run` exited 0 but the container process did not run (no output in its rootfs)";
    } else if (kv["self"] != "1") {
      why = fmt::format("container process is pid {} in its pid namespace, expected 1", kv["self"]);
    } else {
      for (const char* ns : kNamespaces)
        if (kv[ns].empty() || kv[ns] == env.own_ns.at(ns)) {
          why = fmt::format("container process is not in a new {} namespace ({})", ns, kv[ns]);
          break;
        }
    }
  }
  unlink(out.c_str());
  if (why.empty()) {
    std::string cg = check_cgroups_gone(env);
    if (!cg.empty()) why = "`run`: " + cg;
  }
  return why;
}

std::string probe_csd(Env& env, Runtime& rt) {
  fs::path errf = env.tmp / fmt::format("{}.probe.err", rt.name);
  int efd = open(errf.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::string err = one_csd(env, rt, false, efd);
  if (efd >= 0) close(efd);
  if (!err.empty()) {
    std::string e = tail(read_file(errf));
    if (!e.empty()) err += " -- stderr: " + e;
  }
  return err;
}

// ---------------------------------------------------------------------------------------------
// Output

std::string fmt_ms(double v) { return std::isnan(v) ? "—" : fmt::format("{:.2f}", v); }
std::string fmt_mb(double kb) { return std::isnan(kb) ? "—" : fmt::format("{:.1f}", kb / 1024.0); }

struct Row {
  std::string label;
  int op;
  bool rss;
};

std::string render(const Env& env, const std::vector<Runtime>& rts, const std::string& cmdline) {
  std::string md;
  const Runtime& subj = rts.front();
  std::vector<const Runtime*> others;
  for (size_t i = 1; i < rts.size(); ++i) others.push_back(&rts[i]);

  md += "| metric |";
  for (const auto& rt : rts) md += fmt::format(" {} |", rt.name);
  for (auto* o : others) md += fmt::format(" {}/{} |", subj.name, o->name);
  md += "\n|---|";
  for (size_t i = 0; i < rts.size() + others.size(); ++i) md += "---:|";
  md += "\n";

  const Row rows[] = {
      {fmt::format("`run` /bin/true, ms: median (p90), n={}", env.cfg.runs), kRun, false},
      {fmt::format("`create`, ms: median (p90), n={}", env.cfg.rounds), kCreate, false},
      {fmt::format("`start`, ms: median (p90), n={}", env.cfg.rounds), kStart, false},
      {fmt::format("`delete`, ms: median (p90), n={}", env.cfg.rounds), kDelete, false},
      {"`run` peak RSS (ru_maxrss), MB: median (max)", kRun, true},
      {"`create` peak RSS (ru_maxrss), MB: median (max)", kCreate, true},
  };
  auto usable = [](const Runtime& rt, int op) {
    return (op == kRun ? rt.run_ok : rt.csd_ok) && !rt.series[op].ms.empty();
  };
  auto median_of = [&](const Runtime& rt, const Row& r) {
    if (!usable(rt, r.op)) return static_cast<double>(NAN);
    return r.rss ? quantile(rt.series[r.op].rss_kb, 0.5) : quantile(rt.series[r.op].ms, 0.5);
  };
  for (const auto& r : rows) {
    md += "| " + r.label + " |";
    for (const auto& rt : rts) {
      const Series& s = rt.series[r.op];
      if (!usable(rt, r.op)) {
        md += " not run |";
        continue;
      }
      std::string cell;
      if (r.rss) {
        cell = fmt::format("{} ({})", fmt_mb(quantile(s.rss_kb, 0.5)),
                           fmt_mb(*std::max_element(s.rss_kb.begin(), s.rss_kb.end())));
      } else {
        cell = fmt::format("{} ({})", fmt_ms(quantile(s.ms, 0.5)), fmt_ms(quantile(s.ms, 0.9)));
      }
      if (s.failures) cell += fmt::format(" [{} of {} failed]", s.failures, s.attempts);
      md += " " + cell + " |";
    }
    for (auto* o : others) {
      double a = median_of(subj, r), b = median_of(*o, r);
      md += (std::isnan(a) || std::isnan(b) || b == 0) ? std::string(" n/a |") : fmt::format(" {:.2f} |", a / b);
    }
    md += "\n";
  }
  md += "\nRatios are of medians. ";
  md += "Times are wall-clock (CLOCK_MONOTONIC) from posix_spawn of the runtime to the return of wait4 on it.\n";

  // Runtimes not (fully) measured, and failures.
  std::string notes;
  for (const auto& rt : rts) {
    if (!rt.run_ok) notes += fmt::format("- **{}** (`{}`): `run` not measured: {}\n", rt.name, rt.path, rt.run_why);
    if (!rt.csd_ok) notes += fmt::format("- **{}** (`{}`): `create`/`start`/`delete` not measured: {}\n", rt.name, rt.path, rt.csd_why);
    for (int op = 0; op < kNumOps; ++op)
      if (rt.series[op].failures && (op == kRun ? rt.run_ok : rt.csd_ok))
        notes += fmt::format("- **{}**: {} of {} `{}` iterations failed and were excluded; first error: {}\n",
                             rt.name, rt.series[op].failures, rt.series[op].attempts, kOpName[op],
                             rt.series[op].first_error);
  }
  if (!notes.empty()) md += "\n" + notes;

  md += "\nCommand:\n\n```\n" + cmdline + "\n```\n";

  md += "\nRaw figures (ms; RSS in KiB):\n\n```\n";
  for (const auto& rt : rts) {
    for (int op = 0; op < kNumOps; ++op) {
      const Series& s = rt.series[op];
      bool on = (op == kRun ? rt.run_ok : rt.csd_ok);
      if (!on) {
        md += fmt::format("{:<8} {:<7} not measured\n", rt.name, kOpName[op]);
        continue;
      }
      md += fmt::format("{:<8} {:<7} n={:<4} failed={:<3} median={:.4f} p90={:.4f} min={:.4f} max={:.4f}",
                        rt.name, kOpName[op], s.ms.size(), s.failures, quantile(s.ms, 0.5), quantile(s.ms, 0.9),
                        s.ms.empty() ? NAN : *std::min_element(s.ms.begin(), s.ms.end()),
                        s.ms.empty() ? NAN : *std::max_element(s.ms.begin(), s.ms.end()));
      if (!s.rss_kb.empty())
        md += fmt::format(" maxrss_median={:.0f} maxrss_max={:.0f}", quantile(s.rss_kb, 0.5),
                          *std::max_element(s.rss_kb.begin(), s.rss_kb.end()));
      md += "\n";
    }
  }
  md += "```\n";
  return md;
}

void cleanup(Env& env, std::vector<Runtime>& rts) {
  for (auto& rt : rts) {
    for (const auto& id : rt.maybe_live) force_delete(env.cfg, rt, id);
    rt.maybe_live.clear();
    std::error_code ec;
    if (fs::exists(rt.state_dir, ec) && !fs::is_empty(rt.state_dir, ec)) {
      std::string left;
      for (const auto& e : fs::directory_iterator(rt.state_dir, ec)) left += " " + e.path().filename().string();
      fmt::print(stderr, "runtime_bench: warning: {} left state behind in {}:{}\n", rt.name, rt.state_dir.string(), left);
    }
  }
  std::string cg = check_cgroups_gone(env);
  if (!cg.empty()) fmt::print(stderr, "runtime_bench: warning: {}\n", cg);
  reap_strays();
  std::error_code ec;
  if (!env.tmp.empty()) fs::remove_all(env.tmp, ec);
  if (ec) fmt::print(stderr, "runtime_bench: warning: cannot remove {}: {}\n", env.tmp.string(), ec.message());
}

void usage() {
  fmt::print(stderr,
             "usage: runtime_bench --bundle DIR --runtime NAME=PATH [--runtime NAME=PATH ...]\n"
             "         [--runs N (100)] [--rounds N (50)] [--warmup N (3)] [--timeout-ms MS (10000)]\n"
             "         [--runtime-arg NAME=ARG ...] [--hide-cgroup2-unified] [--markdown FILE]\n"
             "The first runtime is the subject; ratios are subject/other.\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Env env;
  Config& cfg = env.cfg;
  std::vector<Runtime> rts;
  std::vector<std::pair<std::string, std::string>> extra_args;

  std::string cmdline;
  for (int i = 0; i < argc; ++i) cmdline += (i ? " " : "") + shell_quote(argv[i]);

  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    auto split = [&](const std::string& s) {
      auto eq = s.find('=');
      if (eq == std::string::npos || eq == 0) usage();
      return std::make_pair(s.substr(0, eq), s.substr(eq + 1));
    };
    if (a == "--bundle") cfg.bundle = val();
    else if (a == "--runtime") {
      auto [n, p] = split(val());
      Runtime rt;
      rt.name = n;
      rt.path = p;
      rts.push_back(std::move(rt));
    } else if (a == "--runtime-arg") extra_args.push_back(split(val()));
    else if (a == "--runs") cfg.runs = std::atoi(val().c_str());
    else if (a == "--rounds") cfg.rounds = std::atoi(val().c_str());
    else if (a == "--warmup") cfg.warmup = std::atoi(val().c_str());
    else if (a == "--timeout-ms") cfg.timeout_ms = std::atoi(val().c_str());
    else if (a == "--hide-cgroup2-unified") cfg.hide_unified = true;
    else if (a == "--markdown") cfg.markdown_path = val();
    else usage();
  }
  if (cfg.bundle.empty() || rts.empty() || cfg.runs < 0 || cfg.rounds < 0 || cfg.warmup < 0) usage();
  for (auto& [n, arg] : extra_args) {
    auto it = std::find_if(rts.begin(), rts.end(), [&](const Runtime& r) { return r.name == n; });
    if (it == rts.end()) die("--runtime-arg for unknown runtime " + n);
    it->global_args.push_back(arg);
  }
  if (geteuid() != 0) die("must run as root (the runtimes create namespaces and cgroups)");

  std::error_code ec;
  cfg.bundle = fs::absolute(cfg.bundle, ec);
  if (!fs::exists(cfg.bundle / "config.json")) die("no config.json in bundle " + cfg.bundle.string());
  json bcfg;
  try {
    bcfg = json::parse(read_file(cfg.bundle / "config.json"));
    std::string root = bcfg.at("root").at("path").get<std::string>();
    env.rootfs = fs::path(root).is_absolute() ? fs::path(root) : cfg.bundle / root;
    if (bcfg.contains("linux") && bcfg["linux"].contains("cgroupsPath"))
      env.cgroups_path = bcfg["linux"]["cgroupsPath"].get<std::string>();
  } catch (const std::exception& e) {
    die(std::string("cannot parse bundle config.json: ") + e.what());
  }
  env.have_busybox = stat((env.rootfs / "bin/busybox").c_str(), &env.busybox_st) == 0;

  g_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (g_devnull < 0) die("open /dev/null: " + errno_str());

  // cgroup hierarchies to check for leftovers.
  bool hybrid = access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0;
  if (cfg.hide_unified) {
    if (!hybrid) die("--hide-cgroup2-unified: /sys/fs/cgroup/unified is not a cgroup2 mount");
    env.unified_fd = open("/sys/fs/cgroup/unified", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (unshare(CLONE_NEWNS) != 0) die("unshare(CLONE_NEWNS): " + errno_str());
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) die("make / rslave: " + errno_str());
    if (umount2("/sys/fs/cgroup/unified", MNT_DETACH) != 0) die("umount /sys/fs/cgroup/unified: " + errno_str());
  }
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec))
    if (e.is_directory() && !e.is_symlink() && access((e.path() / "cgroup.procs").c_str(), F_OK) == 0)
      env.cgroup_roots.push_back(e.path());
  if (access("/sys/fs/cgroup/cgroup.procs", F_OK) == 0) env.cgroup_roots.push_back("/sys/fs/cgroup");

  for (const char* ns : kNamespaces) env.own_ns[ns] = ns_link("self", ns);

  // Orphaned container processes (after `create`) are reparented to us, not to the machine's init.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);

  const char* tmpbase = getenv("TMPDIR");
  std::string tmpl = std::string(tmpbase && *tmpbase ? tmpbase : "/tmp") + "/runtime-bench.XXXXXX";
  if (!mkdtemp(tmpl.data())) die("mkdtemp: " + errno_str());
  env.tmp = tmpl;
  for (auto& rt : rts) {
    rt.state_dir = env.tmp / "state" / rt.name;
    fs::create_directories(rt.state_dir);
  }

  // Probes.
  fs::path probe_bundle;
  try {
    probe_bundle = make_probe_bundle(env);
  } catch (const std::exception& e) {
    cleanup(env, rts);
    die(std::string("cannot make probe bundle: ") + e.what());
  }
  for (auto& rt : rts) {
    if (access(rt.path.c_str(), X_OK) != 0) {
      rt.run_why = rt.csd_why = fmt::format("binary missing or not executable ({})", errno_str());
    } else {
      rt.run_why = probe_run(env, rt, probe_bundle);
      rt.csd_why = probe_csd(env, rt);
      if (cfg.hide_unified == false && hybrid &&
          (rt.run_why.find("hybrid") != std::string::npos || rt.csd_why.find("hybrid") != std::string::npos)) {
        rt.run_why += " (hint: --hide-cgroup2-unified)";
      }
    }
    rt.run_ok = rt.run_why.empty();
    rt.csd_ok = rt.csd_why.empty();
    fmt::print(stderr, "runtime_bench: {:<6} {}: run {}, create/start/delete {}\n", rt.name, rt.path,
               rt.run_ok ? "OK" : "NOT WORKING: " + rt.run_why, rt.csd_ok ? "OK" : "NOT WORKING: " + rt.csd_why);
  }
  fs::remove_all(probe_bundle, ec);

  // Phase 1: run, interleaved.
  for (int i = 0; i < cfg.warmup + cfg.runs && !g_interrupted; ++i)
    for (auto& rt : rts)
      if (rt.run_ok && !g_interrupted) one_run(env, rt, i >= cfg.warmup);

  // Phase 2: create/start/delete, interleaved by round.
  for (int i = 0; i < cfg.warmup + cfg.rounds && !g_interrupted; ++i)
    for (auto& rt : rts)
      if (rt.csd_ok && !g_interrupted) one_csd(env, rt, i >= cfg.warmup);

  cleanup(env, rts);
  if (g_interrupted) {
    fmt::print(stderr, "runtime_bench: interrupted; no table printed\n");
    return 130;
  }

  std::string md = render(env, rts, cmdline);
  fmt::print("{}", md);
  if (!cfg.markdown_path.empty()) std::ofstream(cfg.markdown_path) << md;

  bool any = false;
  for (const auto& rt : rts) any = any || rt.run_ok || rt.csd_ok;
  return any ? 0 : 1;
}
