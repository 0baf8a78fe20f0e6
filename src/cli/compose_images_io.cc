// berth compose build / pull / push: the services' images.
#include "cli/compose_cli.h"

namespace berth::cli {

void add_compose_images_io(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals) {
  Cli& cli = inv.cli;
  if (inv.wants(group, "build")) {
    struct O {
      std::vector<std::string> args;
      bool quiet = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "build", "[OPTIONS] [SERVICE...]", "Build or rebuild services", &o->args, {},
                                [&cli, o, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals, o->quiet));
      TRYV(s.executor->build(TRY(named_services(s.project, o->args))));
      return 0;
    });
    add_bool(app, "-q,--quiet", o->quiet, "Don't print anything to STDOUT");
  }
  for (const char* verb : {"pull", "push"}) {
    if (!inv.wants(group, verb)) continue;
    struct O {
      std::vector<std::string> args;
      bool ignore_failures = false, quiet = false;
    };
    auto o = std::make_shared<O>();
    bool is_pull = std::string(verb) == "pull";
    CLI::App* app = add_command(inv, group, verb, "[OPTIONS] [SERVICE...]",
                                is_pull ? "Pull service images" : "Push service images", &o->args, {},
                                [&cli, o, globals, is_pull]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals, o->quiet));
      std::set<std::string> services = TRY(named_services(s.project, o->args));
      if (is_pull) TRYV(s.executor->pull(services, o->ignore_failures));
      else TRYV(s.executor->push(services, o->ignore_failures));
      return 0;
    });
    add_bool(app, is_pull ? "--ignore-pull-failures" : "--ignore-push-failures", o->ignore_failures,
             is_pull ? "Pull what it can and ignores images with pull failures" : "Push what it can and ignores images with push failures");
    add_bool(app, "-q,--quiet", o->quiet, is_pull ? "Pull without printing progress information" : "Push without printing progress information");
  }
}

}  // namespace berth::cli
