// berth compose logs: the services' containers' logs, interleaved and prefixed.
#include <algorithm>

#include "cli/compose_cli.h"
#include "cli/compose_log_stream.h"
#include "cli/stream.h"
#include "cli/units.h"
#include "compose_ops/naming.h"

namespace berth::cli {

void add_compose_logs(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals) {
  if (!inv.wants(group, "logs")) return;
  Cli& cli = inv.cli;
  struct O {
    std::vector<std::string> args;
    bool follow = false, timestamps = false, no_color = false, no_prefix = false;
    std::string tail = "all", since, until;
    int64_t index = 0;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, group, "logs", "[OPTIONS] [SERVICE...]", "View output from containers", &o->args, {},
                              [&cli, o, globals]() -> Result<int> {
    ComposeSession s = TRY(open_compose_session(cli, *globals));
    std::set<std::string> wanted = TRY(named_services(s.project, o->args));
    std::vector<compose_ops::ContainerInfo> all = TRY(s.engine->list_containers(s.project.name));
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    std::vector<LogTarget> targets;
    for (const auto& c : all) {
      if (c.oneoff() || !wanted.contains(c.service())) continue;
      if (o->index > 0 && c.number() != o->index) continue;
      bool tty = s.project.services.contains(c.service()) && s.project.services.at(c.service()).tty;
      targets.push_back({c.id, compose_ops::short_container_name(s.project.name, c.name), tty});
    }
    int64_t now = unix_now();
    LogOptions lo{.follow = o->follow, .timestamps = o->timestamps,
                  .color = !o->no_color && globals->ansi != "never" && (globals->ansi == "always" || is_terminal(1)),
                  .prefix = !o->no_prefix, .tail = o->tail};
    if (!o->since.empty()) lo.since = TRY(timestamp_arg(o->since, now));
    if (!o->until.empty()) lo.until = TRY(timestamp_arg(o->until, now));
    TRYV(stream_logs(*s.engine, targets, lo));
    return 0;
  });
  add_bool(app, "-f,--follow", o->follow, "Follow log output");
  add_string(app, "-n,--tail", o->tail, "Number of lines to show from the end of the logs for each container (default \"all\")");
  add_bool(app, "-t,--timestamps", o->timestamps, "Show timestamps");
  add_bool(app, "--no-color", o->no_color, "Produce monochrome output");
  add_bool(app, "--no-log-prefix", o->no_prefix, "Don't print prefix in logs");
  add_string(app, "--since", o->since, "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)");
  add_string(app, "--until", o->until, "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)");
  add_int(app, "--index", o->index, "index of the container if service has multiple replicas");
}

}  // namespace berth::cli
