#include "cli/app.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "cli/builder_cmds.h"
#include "cli/command.h"
#include "cli/pull.h"
#include "cli/ui_cmd.h"
#include "cli/connection.h"

namespace berth::cli {

namespace {

constexpr const char* kVersion = "0.1.0";

std::string plural(size_t n) { return n == 1 ? "argument" : "arguments"; }

std::string arg_count_error(const CommandInfo& info, size_t got, ArgCount count) {
  std::string what;
  if (count.min == count.max) {
    what = fmt::format("requires exactly {} {}", count.min, plural(count.min));
  } else if (got < count.min) {
    what = fmt::format("requires at least {} {}", count.min, plural(count.min));
  } else {
    what = fmt::format("accepts at most {} {}", count.max, plural(count.max));
  }
  return fmt::format("berth: '{}' {}\n\nUsage:  {} {}\n\nSee '{} --help' for more information\n", info.path, what,
                     info.path, info.usage, info.path);
}

// Docker's wording for CLI11's parse errors.
std::string flag_error(const CLI::ParseError& e) {
  std::string msg = e.what();
  // A value refused by a flag's check: CLI11 says "--flag: <message>", pflag only the message.
  if (size_t at = msg.find(": invalid argument \""); at != std::string::npos && msg.starts_with("-")) {
    return msg.substr(at + 2);
  }
  const std::string extra = "The following argument was not expected: ";
  const std::string extras = "The following arguments were not expected: ";
  for (const auto& prefix : {extra, extras}) {
    if (msg.starts_with(prefix)) {
      std::string arg = msg.substr(prefix.size());
      arg = arg.substr(0, arg.find(' '));
      if (arg.starts_with("--")) return "unknown flag: " + arg;
      if (arg.starts_with("-")) return fmt::format("unknown shorthand flag: '{}' in {}", arg.substr(1, 1), arg);
      return fmt::format("unknown command: \"{}\"", arg);
    }
  }
  return msg;
}

const CLI::App* deepest(const CLI::App* app) {
  for (const CLI::App* sub : app->get_subcommands()) return deepest(sub);
  return app;
}

constexpr std::array<std::string_view, 6> kGroups = {"compose", "container", "image", "network", "system", "volume"};

// Root flags that take a value: -H/--host and -l/--log-level.
bool root_flag_takes_next(std::string_view arg) {
  if (arg == "--host" || arg == "--log-level") return true;
  if (arg.starts_with("--")) return false;  // --debug, --host=X
  // A cluster of short flags ("-D", "-DH", "-Hunix://..."): the first H or l
  // takes the rest of the word, or the next word when nothing is left.
  for (size_t i = 1; i < arg.size(); ++i)
    if (arg[i] == 'H' || arg[i] == 'l') return i + 1 == arg.size();
  return false;
}

int run(int argc, char** argv, bool every_command);

}  // namespace

CommandFilter scan_command_line(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--" || a == "-h" || a == "--help" || a == "-v" || a == "--version") return {};
    if (a.size() > 1 && a[0] == '-') {
      if (root_flag_takes_next(a)) ++i;
      continue;
    }
    CommandFilter f{.command = std::string(a), .subcommand = {}};
    bool group = std::find(kGroups.begin(), kGroups.end(), a) != kGroups.end();
    if (group && i + 1 < argc && argv[i + 1][0] != '-') f.subcommand = argv[i + 1];
    return f;
  }
  return {};
}

bool Invocation::wants(const CLI::App* parent, const std::string& name) const {
  if (filter.command.empty()) return true;
  const std::string& path = info.at(parent).path;  // "berth" or "berth GROUP"
  if (path == "berth") return name == filter.command;
  if (path != "berth " + filter.command) return false;
  return filter.subcommand.empty() || name == filter.subcommand;
}

CLI::App* add_command(Invocation& inv, CLI::App* parent, const std::string& name, const std::string& usage,
                      const std::string& description, std::vector<std::string>* args, ArgCount count,
                      std::function<Result<int>()> run) {
  CLI::App* app = parent->add_subcommand(name, description);
  const CommandInfo* parent_info = inv.info.contains(parent) ? &inv.info.at(parent) : nullptr;
  CommandInfo info{.path = (parent_info ? parent_info->path : std::string("berth")) + " " + name,
                   .usage = usage,
                   .description = description};
  inv.info[app] = info;
  if (args) app->add_option("args", *args)->type_name("");
  app->callback([&inv, app, args, count, run] {
    size_t got = args ? args->size() : 0;
    if (got < count.min || got > count.max) {
      std::string msg = arg_count_error(inv.info.at(app), got, count);
      inv.action = [msg]() -> Result<int> {
        err(msg);
        return 1;
      };
      return;
    }
    inv.action = run;
  });
  return app;
}

CLI::Option* add_list(CLI::App* app, const std::string& names, std::vector<std::string>& values,
                      const std::string& description, const std::string& type) {
  return app->add_option(names, values, description)
      ->expected(1)
      ->allow_extra_args(false)  // one value per flag: "-e A=1 IMAGE" leaves IMAGE positional
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name(type);
}

CLI::Option* add_string(CLI::App* app, const std::string& names, std::string& value, const std::string& description,
                        const std::string& type) {
  return app->add_option(names, value, description)->type_name(type);
}

CLI::Option* add_int(CLI::App* app, const std::string& names, int64_t& value, const std::string& description) {
  return app->add_option(names, value, description)->type_name("int");
}

CLI::Option* add_bool(CLI::App* app, const std::string& names, bool& value, const std::string& description) {
  return app->add_flag(names, value, description);
}

std::string help_text(const Invocation& inv, const CLI::App* app) {
  const CommandInfo& info = inv.info.at(app);
  std::string text = fmt::format("\nUsage:  {} {}\n\n{}\n", info.path, info.usage, info.description);
  auto subs = app->get_subcommands([](const CLI::App*) { return true; });
  // Options: "  -a, --all             Show all ..." with docker's column.
  std::vector<std::pair<std::string, std::string>> rows;
  for (const CLI::Option* opt : app->get_options()) {
    if (opt->get_positional()) continue;
    std::string shorts, longs;
    for (const auto& s : opt->get_snames()) shorts = "-" + s;
    for (const auto& l : opt->get_lnames()) longs = "--" + l;
    if (longs.empty() && !shorts.empty()) longs.swap(shorts);
    std::string left = shorts.empty() ? "      " + longs : "  " + shorts + ", " + longs;
    std::string type = opt->get_type_name();
    if (!type.empty() && opt->get_type_size() != 0) left += " " + type;
    rows.emplace_back(left, opt->get_description());
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    auto key = [](const std::string& s) { return s.substr(s.find("--") + 2); };
    return key(a.first) < key(b.first);
  });
  if (!subs.empty()) {
    text += "\nCommands:\n";
    size_t width = 0;
    for (const CLI::App* s : subs) width = std::max(width, s->get_name().size());
    for (const CLI::App* s : subs) text += fmt::format("  {:<{}}   {}\n", s->get_name(), width, s->get_description());
  }
  if (!rows.empty()) {
    text += "\nOptions:\n";
    size_t width = 0;
    for (const auto& r : rows) width = std::max(width, r.first.size());
    for (const auto& r : rows) text += fmt::format("{:<{}}   {}\n", r.first, width, r.second);
  }
  if (!subs.empty()) text += fmt::format("\nRun '{} COMMAND --help' for more information on a command.\n", info.path);
  return text;
}

int main(int argc, char** argv) { return run(argc, argv, false); }

int main_every_command(int argc, char** argv) { return run(argc, argv, true); }

namespace {

int run(int argc, char** argv, bool every_command) {
  Cli cli;
  Invocation inv{.cli = cli};
  if (!every_command) inv.filter = scan_command_line(argc, argv);
  CLI::App root("A self-sufficient runtime for containers", "berth");
  root.set_help_flag("-h,--help", "Print usage");
  root.require_subcommand(0, 1);
  inv.info[&root] = CommandInfo{.path = "berth", .usage = "[OPTIONS] COMMAND",
                                .description = "A self-sufficient runtime for containers"};
  bool show_version = false;
  add_string(&root, "-H,--host", cli.global.host, "Daemon socket to connect to");
  add_bool(&root, "-D,--debug", cli.global.debug, "Enable debug mode");
  add_string(&root, "-l,--log-level", cli.global.log_level,
             "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\") (default \"info\")");
  add_bool(&root, "-v,--version", show_version, "Print version information and quit");

  auto group = [&](const std::string& name, const std::string& description) {
    CLI::App* g = root.add_subcommand(name, description);
    g->set_help_flag("-h,--help", "Print usage");
    g->require_subcommand(0, 1);
    inv.info[g] = CommandInfo{.path = "berth " + name, .usage = "COMMAND", .description = description};
    g->callback([&inv, g] {
      if (g->get_subcommands().empty()) {
        inv.action = [&inv, g]() -> Result<int> {
          out(help_text(inv, g));
          return 0;
        };
      }
    });
    return g;
  };
  CLI::App* builder = group("builder", "Manage builds");
  CLI::App* container = group("container", "Manage containers");
  CLI::App* image = group("image", "Manage images");
  CLI::App* network = group("network", "Manage networks");
  CLI::App* system = group("system", "Manage berth");
  CLI::App* volume = group("volume", "Manage volumes");
  CLI::App* compose = group("compose", "Docker Compose");
  add_container_commands(inv, &root, false);
  add_container_commands(inv, container, true);
  add_image_commands(inv, &root, false);
  add_image_commands(inv, image, true);
  add_image_diff_command(inv, image);
  add_system_commands(inv, &root, system);
  add_isolation_command(inv, &root);
  add_network_commands(inv, network);
  add_volume_commands(inv, volume);
  add_unavailable_commands(inv, &root);
  add_ui_command(inv, &root);
  add_build_commands(inv, &root);
  add_build_commands(inv, image);
  add_build_commands(inv, builder);
  add_builder_commands(inv, builder);
  add_pull_commands(inv, &root);
  add_pull_commands(inv, image);
  add_push_commands(inv, &root);
  add_push_commands(inv, image);
  add_login_commands(inv, &root);
  add_compose_commands(inv, compose);

  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out(help_text(inv, deepest(&root)));
    return 0;
  } catch (const CLI::ParseError& e) {
    const CLI::App* where = deepest(&root);
    // docker: an unknown command exits 1, a bad flag 125.
    int status = dynamic_cast<const CLI::ExtrasError*>(&e) && where == &root ? 1 : 125;
    const CommandInfo& info = inv.info.at(where);
    errf("{}\n\nUsage:  {} {}\n\nRun '{} --help' for more information\n", flag_error(e), info.path, info.usage,
         info.path);
    return status;
  }
  if (show_version) {
    outf("Berth version {}, build berth\n", kVersion);
    return 0;
  }
  if (!inv.action) {
    out(help_text(inv, &root));
    return 0;
  }
  Result<int> rc = inv.action();
  if (!rc) {
    err(rc.error().str() + "\n");
    return 1;
  }
  return *rc;
}

}  // namespace

}  // namespace berth::cli
