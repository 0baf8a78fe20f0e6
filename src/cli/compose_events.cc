// berth compose events: the project's container events as they happen, in
// Compose v2's text form or one JSON object a line (--json).
#include <ctime>

#include <fmt/format.h>

#include "cli/compose_cli.h"
#include "compose/labels.h"

namespace berth::cli {

namespace {

// "2026-12-07 06:01:02.123456" (Go's "2006-01-02 15:04:05.000000", local time).
std::string event_time(int64_t nano) {
  time_t secs = static_cast<time_t>(nano / 1'000'000'000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{}.{:06d}", buf, (nano % 1'000'000'000) / 1000);
}

}  // namespace

void add_compose_events(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals) {
  if (!inv.wants(group, "events")) return;
  Cli& cli = inv.cli;
  struct O {
    std::vector<std::string> args;
    bool json = false;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, group, "events", "[OPTIONS] [SERVICE...]", "Receive real time events from containers",
                              &o->args, {}, [&cli, o, globals]() -> Result<int> {
    ComposeSession s = TRY(open_compose_session(cli, *globals));
    std::set<std::string> wanted = TRY(named_services(s.project, o->args));
    TRYV(s.engine->watch_events(s.project.name, std::nullopt, [&](const compose_ops::Event& e) {
      auto svc = e.attributes.find(compose::label::kService);
      std::string service = svc == e.attributes.end() ? "" : svc->second;
      if (!wanted.contains(service)) return true;
      if (o->json) {
        Json j{{"action", e.action}, {"attributes", e.attributes}, {"id", e.id}, {"service", service},
               {"time", event_time(e.time_nano)}, {"type", "container"}};
        outf("{}\n", j.dump());
      } else {
        std::string attrs;
        for (const auto& [k, v] : e.attributes) attrs += (attrs.empty() ? "" : ", ") + k + "=" + v;
        outf("{} container {} {} ({})\n", event_time(e.time_nano), e.action, e.id, attrs);
      }
      return true;
    }));
    return 0;
  });
  add_bool(app, "--json", o->json, "Output events as a stream of json objects");
}

}  // namespace berth::cli
