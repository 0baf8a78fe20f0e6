// ps, events, update, spec, features.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <set>

#include "base/file.h"
#include "base/strings.h"
#include "cli.h"
#include "runtime/default_spec.h"
#include "runtime/features.h"

namespace berth::cli {
namespace {

// "64m", "1G", "512k", "1048576", "-1".
Result<int64_t> parse_bytes(const std::string& flag, const std::string& v) {
  if (v == "-1") return -1;
  size_t i = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
  auto n = parse_int(v.substr(0, i));
  std::string unit;
  for (char c : v.substr(i)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  int64_t mult = unit.empty() ? 1 : unit == "k" ? 1024 : unit == "m" ? 1024 * 1024 : unit == "g" ? 1024LL * 1024 * 1024 : 0;
  if (!n || mult == 0) return fail(Errc::InvalidArgument, flag + ": invalid size '" + v + "'");
  return *n * mult;
}

// Runs ps with the caller's options and keeps the header and the container's rows.
Result<int> ps_table(const std::vector<pid_t>& pids, std::vector<std::string> ps_args) {
  if (ps_args.empty()) ps_args = {"-ef"};
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return fail_errno("pipe");
  pid_t child = ::fork();
  if (child == 0) {
    ::dup2(out[1], 1);
    std::vector<char*> argv{const_cast<char*>("ps")};
    for (auto& a : ps_args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("ps", argv.data());
    _exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fail(Errc::Internal, "ps failed");
  auto lines = split(text, '\n', true);
  if (lines.empty()) return 0;
  auto header = split(lines[0], ' ', true);
  size_t pid_col = header.size();
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == "PID") pid_col = i;
  if (pid_col == header.size()) return fail(Errc::InvalidArgument, "ps output has no PID column");
  std::set<pid_t> wanted(pids.begin(), pids.end());
  std::cout << lines[0] << "\n";
  for (size_t i = 1; i < lines.size(); ++i) {
    auto f = split(lines[i], ' ', true);
    if (f.size() > pid_col)
      if (auto p = parse_int(f[pid_col]); p && wanted.count(static_cast<pid_t>(*p))) std::cout << lines[i] << "\n";
  }
  return 0;
}

struct UpdateFlags {
  std::string id, resources_file;
  std::string memory, memory_swap, memory_reservation, kernel_memory, kernel_memory_tcp;
  std::optional<uint64_t> cpu_shares, cpu_period, cpu_rt_period, blkio_weight;
  std::optional<int64_t> cpu_quota, cpu_rt_runtime, pids_limit;
  std::string cpuset_cpus, cpuset_mems;
};

Result<spec::Resources> update_resources(UpdateFlags& f) {
  spec::Resources r;
  if (!f.resources_file.empty()) {
    std::string text;
    if (f.resources_file == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      text = TRY(read_file(f.resources_file));
    }
    r = TRY(spec::parse_resources(text));
  }
  auto mem = [&]() -> spec::Memory& {
    if (!r.memory) r.memory = spec::Memory{};
    return *r.memory;
  };
  auto cpu = [&]() -> spec::Cpu& {
    if (!r.cpu) r.cpu = spec::Cpu{};
    return *r.cpu;
  };
  if (!f.memory.empty()) mem().limit = TRY(parse_bytes("--memory", f.memory));
  if (!f.memory_swap.empty()) mem().swap = TRY(parse_bytes("--memory-swap", f.memory_swap));
  if (!f.memory_reservation.empty()) mem().reservation = TRY(parse_bytes("--memory-reservation", f.memory_reservation));
  if (!f.kernel_memory.empty()) mem().kernel = TRY(parse_bytes("--kernel-memory", f.kernel_memory));
  if (!f.kernel_memory_tcp.empty()) mem().kernel_tcp = TRY(parse_bytes("--kernel-memory-tcp", f.kernel_memory_tcp));
  if (f.cpu_shares) cpu().shares = f.cpu_shares;
  if (f.cpu_period) cpu().period = f.cpu_period;
  if (f.cpu_quota) cpu().quota = f.cpu_quota;
  if (f.cpu_rt_period) cpu().realtime_period = f.cpu_rt_period;
  if (f.cpu_rt_runtime) cpu().realtime_runtime = f.cpu_rt_runtime;
  if (!f.cpuset_cpus.empty()) cpu().cpus = f.cpuset_cpus;
  if (!f.cpuset_mems.empty()) cpu().mems = f.cpuset_mems;
  if (f.pids_limit) r.pids = spec::Pids{*f.pids_limit};
  if (f.blkio_weight) {
    if (!r.block_io) r.block_io = spec::BlockIo{};
    if (*f.blkio_weight > 1000) return fail(Errc::InvalidArgument, "--blkio-weight: must be 10 to 1000");
    r.block_io->weight = static_cast<uint16_t>(*f.blkio_weight);
  }
  return r;
}

}  // namespace

void add_info_commands(CLI::App& app, Globals& g, Action& action, const Wanted& want) {
  static std::string id, format = "table";
  if (want("ps")) {
    static std::vector<std::string> ps_args;
    auto* ps = app.add_subcommand("ps", "list the processes of a container");
    ps->add_option("-f,--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
    ps->add_option("id", id, "container id")->required();
    ps->add_option("ps-options", ps_args, "options for ps (default -ef)");
    ps->callback([&] {
      action = [&]() -> Result<int> {
        auto pids = TRY(runtime::container_pids(g.ctx, id));
        if (format == "json") {
          std::cout << nlohmann::json(pids).dump() << "\n";
          return 0;
        }
        return ps_table(pids, ps_args);
      };
    });
  }

  if (want("events")) {
    static bool stats_once = false;
    static int interval = 5;
    auto* events = app.add_subcommand("events", "print container statistics (and OOM events)");
    events->add_flag("--stats", stats_once, "print one stats sample and exit");
    events->add_option("--interval", interval, "seconds between samples when streaming");
    events->add_option("id", id, "container id")->required();
    events->callback([&] {
      action = [&]() -> Result<int> {
        bool oom_reported = false;
        while (true) {
          auto data = runtime::container_stats(g.ctx, id);
          if (!data) {
            if (!stats_once && data.error().code == Errc::Conflict) return 0;  // container stopped
            return std::unexpected(data.error());
          }
          std::cout << nlohmann::json{{"type", "stats"}, {"id", id}, {"data", *data}}.dump() << std::endl;
          if (stats_once) return 0;
          if (!oom_reported) {
            if (runtime::container_oom_killed(g.ctx, id).value_or(false)) {
              std::cout << nlohmann::json{{"type", "oom"}, {"id", id}}.dump() << std::endl;
              oom_reported = true;
            }
          }
          ::poll(nullptr, 0, interval * 1000);
        }
      };
    });
  }

  if (want("update")) {
    static UpdateFlags u;
    auto* update = app.add_subcommand("update", "change the resource limits of a running container");
    update->add_option("-r,--resources", u.resources_file, "JSON file with linux.resources (- for stdin)");
    update->add_option("--memory", u.memory, "memory limit (e.g. 64m)");
    update->add_option("--memory-swap", u.memory_swap, "memory+swap limit");
    update->add_option("--memory-reservation", u.memory_reservation, "memory soft limit");
    update->add_option("--kernel-memory", u.kernel_memory, "kernel memory limit (ignored by recent kernels)");
    update->add_option("--kernel-memory-tcp", u.kernel_memory_tcp, "kernel TCP buffer limit");
    update->add_option("--cpu-shares", u.cpu_shares, "CPU shares");
    update->add_option("--cpu-period", u.cpu_period, "CFS period (us)");
    update->add_option("--cpu-quota", u.cpu_quota, "CFS quota (us)");
    update->add_option("--cpu-rt-period", u.cpu_rt_period, "RT period (us)");
    update->add_option("--cpu-rt-runtime", u.cpu_rt_runtime, "RT runtime (us)");
    update->add_option("--cpuset-cpus", u.cpuset_cpus, "CPUs allowed (e.g. 0-1)");
    update->add_option("--cpuset-mems", u.cpuset_mems, "memory nodes allowed");
    update->add_option("--pids-limit", u.pids_limit, "maximum number of processes");
    update->add_option("--blkio-weight", u.blkio_weight, "block I/O weight (10-1000)");
    update->add_option("id", u.id, "container id")->required();
    update->callback([&] {
      action = [&]() -> Result<int> {
        auto res = TRY(update_resources(u));
        TRYV(runtime::update_container(g.ctx, u.id, res));
        return 0;
      };
    });
  }

  if (want("spec")) {
    static std::string bundle = ".";
    static bool rootless = false;
    auto* spec_cmd = app.add_subcommand("spec", "write a default config.json");
    spec_cmd->add_option("-b,--bundle", bundle, "bundle directory");
    spec_cmd->add_flag("--rootless", rootless, "a spec for a rootless container");
    spec_cmd->callback([&] {
      action = [&]() -> Result<int> {
        std::string path = bundle + "/config.json";
        if (::access(path.c_str(), F_OK) == 0) return fail(Errc::AlreadyExists, "File " + path + " exists. Remove it first");
        TRYV(write_file_atomic(path, runtime::default_spec_json(rootless), 0644, false));
        return 0;
      };
    });
  }

  if (want("features")) {
    auto* features = app.add_subcommand("features", "print what this runtime supports (JSON)");
    features->callback([&] {
      action = [&]() -> Result<int> {
        std::cout << runtime::features_json().dump(4) << "\n";
        return 0;
      };
    });
  }
}

}  // namespace berth::cli
