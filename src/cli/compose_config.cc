// `berth compose config`: the resolved project as docker compose prints it,
// or only its service / volume / profile names, or nothing (-q: validate).
#include <algorithm>
#include <memory>
#include <set>

#include "cli/command.h"
#include "cli/compose_project.h"
#include "compose/render.h"

namespace berth::cli {

void add_compose_config_command(Invocation& inv, CLI::App* group, const ComposeFlags& flags) {
  if (!inv.wants(group, "config")) return;
  struct O {
    std::string format = "yaml";
    bool services = false, volumes = false, profiles = false, quiet = false;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, group, "config", "[OPTIONS] [SERVICE...]",
                              "Parse, resolve and render compose file in canonical format", nullptr, {},
                              [o, &flags]() -> Result<int> {
    if (o->format != "yaml" && o->format != "json") {
      return fail(Errc::InvalidArgument, "unsupported format \"" + o->format + "\"");
    }
    compose::Project p = TRY(load_compose_project(flags, o->quiet));
    if (o->quiet) return 0;
    if (o->services) {
      for (const auto& [name, _] : p.services) outf("{}\n", name);
      return 0;
    }
    if (o->volumes) {
      for (const auto& [name, _] : p.volumes) outf("{}\n", name);
      return 0;
    }
    if (o->profiles) {
      std::set<std::string> all;
      for (const auto* services : {&p.services, &p.disabled_services})
        for (const auto& [_, s] : *services) all.insert(s.profiles.begin(), s.profiles.end());
      for (const std::string& name : all) outf("{}\n", name);
      return 0;
    }
    out(o->format == "json" ? compose::render_json(p) : compose::render_yaml(p));
    return 0;
  });
  add_string(app, "--format", o->format, "Format the output. Values: [yaml | json] (default \"yaml\")");
  add_bool(app, "--services", o->services, "Print the service names, one per line.");
  add_bool(app, "--volumes", o->volumes, "Print the volume names, one per line.");
  add_bool(app, "--profiles", o->profiles, "Print the profile names, one per line.");
  add_bool(app, "-q,--quiet", o->quiet, "Only validate the configuration, don't print anything.");
}

}  // namespace berth::cli
