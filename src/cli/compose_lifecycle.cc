// berth compose start / stop / restart / kill / pause / unpause / rm over the
// services' existing containers, in dependency order (stop: dependents first).
#include <unistd.h>

#include <fmt/format.h>

#include "cli/compose_cli.h"
#include "cli/stream.h"

namespace berth::cli {

namespace {

std::optional<int> timeout_flag(int64_t t) {
  if (t < 0) return std::nullopt;
  return static_cast<int>(t);
}

}  // namespace

void add_compose_lifecycle(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals) {
  Cli& cli = inv.cli;
  if (inv.wants(group, "start")) {
    auto args = std::make_shared<std::vector<std::string>>();
    add_command(inv, group, "start", "[SERVICE...]", "Start services", args.get(), {}, [&cli, args, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      TRYV(s.executor->start(TRY(named_services(s.project, *args))));
      return 0;
    });
  }
  for (const char* verb : {"stop", "restart"}) {
    if (!inv.wants(group, verb)) continue;
    struct O {
      std::vector<std::string> args;
      int64_t timeout = -1;
    };
    auto o = std::make_shared<O>();
    bool is_stop = std::string(verb) == "stop";
    CLI::App* app = add_command(inv, group, verb, "[OPTIONS] [SERVICE...]", is_stop ? "Stop services" : "Restart service containers",
                                &o->args, {}, [&cli, o, globals, is_stop]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      std::set<std::string> services = TRY(named_services(s.project, o->args));
      if (is_stop) TRYV(s.executor->stop(services, timeout_flag(o->timeout)));
      else TRYV(s.executor->restart(services, timeout_flag(o->timeout)));
      return 0;
    });
    add_int(app, "-t,--timeout", o->timeout, "Specify a shutdown timeout in seconds");
  }
  if (inv.wants(group, "kill")) {
    struct O {
      std::vector<std::string> args;
      std::string signal = "SIGKILL";
      bool remove_orphans = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "kill", "[OPTIONS] [SERVICE...]", "Force stop service containers", &o->args, {},
                                [&cli, o, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      TRYV(s.executor->kill(TRY(named_services(s.project, o->args)), o->signal));
      return 0;
    });
    add_string(app, "-s,--signal", o->signal, "SIGNAL to send to the container (default \"SIGKILL\")");
    add_bool(app, "--remove-orphans", o->remove_orphans, "Remove containers for services not defined in the Compose file");
  }
  for (const char* verb : {"pause", "unpause"}) {
    if (!inv.wants(group, verb)) continue;
    auto args = std::make_shared<std::vector<std::string>>();
    bool pause = std::string(verb) == "pause";
    add_command(inv, group, verb, "[SERVICE...]", pause ? "Pause services" : "Unpause services", args.get(), {},
                [&cli, args, globals, pause]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      std::set<std::string> services = TRY(named_services(s.project, *args));
      TRYV(pause ? s.executor->pause(services) : s.executor->unpause(services));
      return 0;
    });
  }
  if (inv.wants(group, "rm")) {
    struct O {
      std::vector<std::string> args;
      bool force = false, stop = false, volumes = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "rm", "[OPTIONS] [SERVICE...]", "Removes stopped service containers", &o->args, {},
                                [&cli, o, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      std::set<std::string> services = TRY(named_services(s.project, o->args));
      if (o->stop) TRYV(s.executor->stop(services, std::nullopt));
      std::vector<compose_ops::ContainerInfo> stopped = TRY(s.executor->stopped_containers(services));
      if (stopped.empty()) {
        err("No stopped containers\n");
        return 0;
      }
      if (!o->force && is_terminal(0)) {
        std::string names;
        for (const auto& c : stopped) names += c.name + "\n";
        err("Going to remove " + names + "? Are you sure? [yN] ");
        char answer = 0;
        if (::read(0, &answer, 1) != 1 || (answer != 'y' && answer != 'Y')) return 0;
      }
      TRYV(s.executor->remove(stopped, o->volumes));
      return 0;
    });
    add_bool(app, "-f,--force", o->force, "Don't ask to confirm removal");
    add_bool(app, "-s,--stop", o->stop, "Stop the containers, if required, before removing");
    add_bool(app, "-v,--volumes", o->volumes, "Remove any anonymous volumes attached to containers");
  }
}

}  // namespace berth::cli
