// berth compose up / down: observe, plan, apply (compose_ops), then for an
// attached `up` follow the logs until the containers stop or Ctrl-C stops them.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "cli/compose_cli.h"
#include "cli/compose_log_stream.h"
#include "cli/stream.h"
#include "compose_ops/naming.h"
#include "compose_ops/plan.h"

namespace berth::cli {

namespace {

using compose_ops::ContainerInfo;

void warn_orphans(const std::vector<ContainerInfo>& orphans) {
  if (orphans.empty()) return;
  std::vector<std::string> names;
  for (const auto& c : orphans) names.push_back(c.name);
  std::sort(names.begin(), names.end());
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : " ") + n;
  errf("WARN[0000] Found orphan containers ([{}]) for this project. If you removed or renamed this service in your "
       "compose file, you can run this command with the --remove-orphans flag to clean it up.\n", list);
}

// SERVICE=NUM values; `what` names them in the error (a --scale flag, or scale's arguments).
Result<std::map<std::string, int>> parse_scale(const std::vector<std::string>& flags,
                                               std::string_view what = "--scale option") {
  std::map<std::string, int> scale;
  for (const auto& s : flags) {
    auto eq = s.find('=');
    char* end = nullptr;
    long n = eq == std::string::npos ? -1 : std::strtol(s.c_str() + eq + 1, &end, 10);
    if (eq == std::string::npos || eq == 0 || n < 0 || !end || *end)
      return fail(Errc::InvalidArgument, fmt::format("invalid {} \"{}\": expected SERVICE=NUM", what, s));
    scale[s.substr(0, eq)] = static_cast<int>(n);
  }
  return scale;
}

bool use_color(const ComposeGlobals& g, bool no_color) {
  if (no_color || g.ansi == "never") return false;
  return g.ansi == "always" || is_terminal(1);
}

// Follows the logs of the services' containers; Ctrl-C (or TERM) stops the
// services, which ends the streams. A second Ctrl-C kills them.
Result<int> attach_until_stopped(ComposeSession& s, const ComposeGlobals& g, const std::set<std::string>& services,
                                 bool no_color, bool no_prefix, std::optional<int> timeout) {
  std::vector<ContainerInfo> all = TRY(s.engine->list_containers(s.project.name));
  std::vector<LogTarget> targets;
  std::sort(all.begin(), all.end(), [](const ContainerInfo& a, const ContainerInfo& b) { return a.name < b.name; });
  for (const auto& c : all) {
    if (c.oneoff() || !services.contains(c.service())) continue;
    bool tty = s.project.services.at(c.service()).tty;
    targets.push_back({c.id, compose_ops::short_container_name(s.project.name, c.name), tty});
  }
  std::string names;
  for (const auto& t : targets) names += (names.empty() ? "" : ", ") + t.name;
  outf("Attaching to {}\n", names);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);  // "the logs ended": wakes the signal thread
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::atomic<bool> interrupted{false};
  std::thread stopper;  // the graceful stop, joined before the session goes
  std::thread signals([&] {
    int presses = 0;
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0 || sig == SIGUSR1) return;
      interrupted = true;
      if (++presses == 1) {
        err("Gracefully stopping... (press Ctrl+C again to force)\n");
        stopper = std::thread([&s, &services, timeout] { (void)s.executor->stop(services, timeout); });
      } else {
        (void)s.executor->kill(services, "SIGKILL");
      }
    }
  });
  LogOptions o{.follow = true, .color = use_color(g, no_color), .prefix = !no_prefix, .announce_exit = true};
  Result<void> r = stream_logs(*s.engine, targets, o);
  pthread_kill(signals.native_handle(), SIGUSR1);
  signals.join();
  if (stopper.joinable()) stopper.join();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  if (!r) return std::unexpected(r.error());
  return interrupted ? 130 : 0;
}

// What up, create and scale share: the flags that shape the plan.
struct UpFlags {
  std::vector<std::string> args, scale;
  bool build = false, no_build = false, remove_orphans = false, force_recreate = false, no_recreate = false;
  bool no_deps = false, quiet_pull = false;
};

void add_up_flags(CLI::App* app, UpFlags& o) {
  add_bool(app, "--build", o.build, "Build images before starting containers");
  add_bool(app, "--no-build", o.no_build, "Don't build an image, even if it's policy");
  add_list(app, "--scale", o.scale, "Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file if present.", "scale");
  add_bool(app, "--remove-orphans", o.remove_orphans, "Remove containers for services not defined in the Compose file");
  add_bool(app, "--force-recreate", o.force_recreate, "Recreate containers even if their configuration and image haven't changed");
  add_bool(app, "--no-recreate", o.no_recreate, "If containers already exist, don't recreate them. Incompatible with --force-recreate.");
  add_bool(app, "--quiet-pull", o.quiet_pull, "Pull without printing progress information");
}

// Observe, plan and apply: the services' images, then their containers
// created, recreated or removed (and started unless run.start is false).
// Returns the services selected (with their dependencies unless --no-deps).
Result<std::set<std::string>> up_services(ComposeSession& s, const UpFlags& o, const compose_ops::Executor::UpOptions& run) {
  if (o.force_recreate && o.no_recreate)
    return fail(Errc::InvalidArgument, "--force-recreate and --no-recreate are incompatible");
  if (o.build && o.no_build) return fail(Errc::InvalidArgument, "--build and --no-build are incompatible");
  compose_ops::UpRequest request;
  request.services = o.args;
  request.with_dependencies = !o.no_deps;
  request.scale = TRY(parse_scale(o.scale));
  request.recreate = o.force_recreate ? compose_ops::Recreate::Always
                     : o.no_recreate  ? compose_ops::Recreate::Never
                                      : compose_ops::Recreate::Diverged;
  request.remove_orphans = o.remove_orphans;
  std::set<std::string> selected = TRY(compose_ops::select_services(s.project, o.args, !o.no_deps));
  compose_ops::Observed observed = TRY(s.executor->observe(true));
  TRYV(s.executor->ensure_images(selected, {.build = o.build, .no_build = o.no_build}, observed));
  compose_ops::UpPlan plan = TRY(compose_ops::plan_up(s.project, observed, request));
  if (!o.remove_orphans) warn_orphans(plan.orphans);
  TRYV(s.executor->apply_up(plan, run));
  return selected;
}

std::optional<int> timeout_flag(int64_t t) {
  if (t < 0) return std::nullopt;
  return static_cast<int>(t);
}

}  // namespace

void add_compose_up_down(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals) {
  Cli& cli = inv.cli;
  if (inv.wants(group, "up")) {
    struct O : UpFlags {
      bool detach = false, wait = false, no_start = false, no_color = false, no_log_prefix = false;
      int64_t timeout = -1;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "up", "[OPTIONS] [SERVICE...]", "Create and start containers", &o->args, {},
                                [&cli, o, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals, o->quiet_pull));
      std::optional<int> timeout = timeout_flag(o->timeout);
      std::set<std::string> selected =
          TRY(up_services(s, *o, {.timeout = timeout, .wait = o->wait, .start = !o->no_start}));
      if (o->detach || o->wait || o->no_start) return 0;
      return attach_until_stopped(s, *globals, selected, o->no_color, o->no_log_prefix, timeout);
    });
    add_bool(app, "-d,--detach", o->detach, "Detached mode: Run containers in the background");
    add_bool(app, "--wait", o->wait, "Wait for services to be running|healthy. Implies detached mode.");
    add_up_flags(app, *o);
    add_bool(app, "--no-deps", o->no_deps, "Don't start linked services");
    add_bool(app, "--no-start", o->no_start, "Don't start the services after creating them");
    add_bool(app, "--no-color", o->no_color, "Produce monochrome output");
    add_bool(app, "--no-log-prefix", o->no_log_prefix, "Don't print prefix in logs");
    add_int(app, "-t,--timeout", o->timeout, "Use this timeout in seconds for container shutdown when attached or when containers are already running");
  }
  if (inv.wants(group, "create")) {
    auto o = std::make_shared<UpFlags>();
    CLI::App* app = add_command(inv, group, "create", "[OPTIONS] [SERVICE...]", "Creates containers for a service",
                                &o->args, {}, [&cli, o, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals, o->quiet_pull));
      compose_ops::Executor::UpOptions run;
      run.start = false;
      TRY(up_services(s, *o, run));
      return 0;
    });
    add_up_flags(app, *o);
  }
  if (inv.wants(group, "wait")) {
    struct O {
      std::vector<std::string> args;
      bool down_project = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "wait", "SERVICE [SERVICE...] [OPTIONS]",
                                "Block until containers of all (or specified) services stop.", &o->args, {1, SIZE_MAX},
                                [&cli, o, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      int code = TRY(s.executor->wait_first_exit(TRY(named_services(s.project, o->args))));
      if (o->down_project) {
        compose_ops::Observed observed = TRY(s.executor->observe(true));
        compose_ops::DownPlan plan = TRY(compose_ops::plan_down(s.project, observed, {}));
        TRYV(s.executor->apply_down(plan, std::nullopt, false));
      }
      return code;
    });
    add_bool(app, "--down-project", o->down_project, "Drops project when the first container stops");
  }
  if (inv.wants(group, "scale")) {
    struct O {
      std::vector<std::string> args;
      bool no_deps = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "scale", "[SERVICE=REPLICAS...]", "Scale services ", &o->args, {1, SIZE_MAX},
                                [&cli, o, globals]() -> Result<int> {
      // Only the counts change: existing containers are kept as they are.
      UpFlags flags;
      flags.scale = o->args;
      flags.no_recreate = true;
      flags.no_deps = o->no_deps;
      for (const auto& [service, n] : TRY(parse_scale(o->args, "scale specifier"))) flags.args.push_back(service);
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      TRY(up_services(s, flags, {}));
      return 0;
    });
    add_bool(app, "--no-deps", o->no_deps, "Don't start linked services");
  }
  if (inv.wants(group, "down")) {
    struct O {
      std::vector<std::string> args;
      bool volumes = false, remove_orphans = false;
      std::string rmi;
      int64_t timeout = -1;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "down", "[OPTIONS] [SERVICES]", "Stop and remove containers, networks",
                                &o->args, {0, 0}, [&cli, o, globals]() -> Result<int> {
      if (!o->rmi.empty() && o->rmi != "local" && o->rmi != "all")
        return fail(Errc::InvalidArgument, fmt::format("invalid value for --rmi: {}", o->rmi));
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      compose_ops::Observed observed = TRY(s.executor->observe(true));
      compose_ops::DownRequest request{.remove_orphans = o->remove_orphans, .volumes = o->volumes, .remove_images = o->rmi};
      compose_ops::DownPlan plan = TRY(compose_ops::plan_down(s.project, observed, request));
      warn_orphans(plan.orphans_left);
      TRYV(s.executor->apply_down(plan, timeout_flag(o->timeout), o->volumes));
      return 0;
    });
    add_bool(app, "-v,--volumes", o->volumes, "Remove named volumes declared in the \"volumes\" section of the Compose file and anonymous volumes attached to containers");
    add_string(app, "--rmi", o->rmi, "Remove images used by services. \"local\" remove only images that don't have a custom tag (\"local\"|\"all\")");
    add_bool(app, "--remove-orphans", o->remove_orphans, "Remove containers for services not defined in the Compose file");
    add_int(app, "-t,--timeout", o->timeout, "Specify a shutdown timeout in seconds");
  }
}

}  // namespace berth::cli
