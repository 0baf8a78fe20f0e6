#include "cli/compose_ls.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/compose_cli.h"
#include "cli/stream.h"
#include "cli/table.h"
#include "compose/labels.h"

namespace berth::cli {

namespace {

bool name_matches(const std::string& name, const std::vector<std::string>& filters) {
  if (filters.empty()) return true;
  for (const auto& f : filters) {
    if (f == name) return true;
    try {
      if (std::regex_search(name, std::regex(f))) return true;
    } catch (const std::regex_error&) {
      // Go's filters skip a value that is no regular expression.
    }
  }
  return false;
}

// --filter values: only "name=..." (Compose v2 accepts no other key).
Result<std::vector<std::string>> name_filters(const std::vector<std::string>& flags) {
  std::vector<std::string> names;
  for (const auto& f : flags) {
    auto eq = f.find('=');
    if (eq == std::string::npos) return fail(Errc::InvalidArgument, "bad format of filter (expected name=value)");
    std::string key = std::string(trim(f.substr(0, eq)));
    if (key != "name") return fail(Errc::InvalidArgument, fmt::format("invalid filter '{}'", key));
    names.push_back(std::string(trim(f.substr(eq + 1))));
  }
  return names;
}

}  // namespace

std::vector<ComposeStack> compose_stacks(const Json& containers, const std::vector<std::string>& filters) {
  struct Seen {
    std::map<std::string, int> states;
    std::vector<std::string> files;
  };
  std::map<std::string, Seen> projects;
  if (!containers.is_array()) return {};
  for (const auto& c : containers) {
    if (!c.is_object() || !c.contains("Labels") || !c["Labels"].is_object()) continue;
    const Json& labels = c["Labels"];
    auto project = labels.find(compose::label::kProject);
    if (project == labels.end() || !project->is_string()) continue;
    Seen& seen = projects[project->get<std::string>()];
    seen.states[c.value("State", std::string("unknown"))]++;
    auto files = labels.find(compose::label::kConfigFiles);
    if (files != labels.end() && files->is_string()) {
      std::string f = files->get<std::string>();
      if (!f.empty() && std::find(seen.files.begin(), seen.files.end(), f) == seen.files.end()) seen.files.push_back(f);
    }
  }
  std::vector<ComposeStack> out;
  for (const auto& [name, seen] : projects) {
    if (!name_matches(name, filters)) continue;
    ComposeStack s{name, "", join(seen.files, ",")};
    for (const auto& [state, n] : seen.states) s.status += fmt::format("{}{}({})", s.status.empty() ? "" : ", ", state, n);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::string> render_compose_stacks(const std::vector<ComposeStack>& stacks, const std::string& format, bool quiet) {
  std::string out;
  if (quiet) {
    for (const auto& s : stacks) out += s.name + "\n";
    return out;
  }
  if (format == "json") {
    Json list = Json::array();
    for (const auto& s : stacks) list.push_back({{"Name", s.name}, {"Status", s.status}, {"ConfigFiles", s.config_files}});
    return list.dump() + "\n";
  }
  if (format != "table" && !format.empty())
    return fail(Errc::InvalidArgument, fmt::format("format value \"{}\" could not be parsed: parsing failed", format));
  std::string text = "NAME\tSTATUS\tCONFIG FILES\n";
  for (const auto& s : stacks) text += s.name + "\t" + s.status + "\t" + s.config_files + "\n";
  return tabwrite(text, 20, 3);
}

void add_compose_ls_version(Invocation& inv, CLI::App* group) {
  Cli& cli = inv.cli;
  if (inv.wants(group, "ls")) {
    struct O {
      std::vector<std::string> args, filters;
      bool all = false, quiet = false;
      std::string format = "table";
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "ls", "[OPTIONS]", "List running compose projects", &o->args, {0, 0},
                                [&cli, o]() -> Result<int> {
      std::vector<std::string> names = TRY(name_filters(o->filters));
      Json filters = {{"label", Json::array({compose::label::kProject})}};
      Json containers = TRY(cli.get_json(fmt::format("/containers/json?all={}&filters={}", o->all ? 1 : 0,
                                                     url_encode(filters.dump()))));
      out(TRY(render_compose_stacks(compose_stacks(containers, names), o->format, o->quiet)));
      return 0;
    });
    add_bool(app, "-a,--all", o->all, "Show all stopped Compose projects");
    add_list(app, "--filter", o->filters, "Filter output based on conditions provided", "filter");
    add_string(app, "--format", o->format, "Format the output. Values: [table | json] (default \"table\")");
    add_bool(app, "-q,--quiet", o->quiet, "Only display IDs");
  }
  if (inv.wants(group, "version")) {
    struct O {
      std::vector<std::string> args;
      bool short_form = false;
      std::string format;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "version", "[OPTIONS]", "Show the Docker Compose version information",
                                &o->args, {0, 0}, [o]() -> Result<int> {
      // berth compose implements the command line (and the labels) of this Compose v2 release.
      std::string version = compose::kComposeVersion;
      if (o->short_form) out(version + "\n");
      else if (o->format == "json") out(Json({{"version", "v" + version}}).dump() + "\n");
      else if (o->format.empty() || o->format == "pretty") out("berth compose version v" + version + "\n");
      else return fail(Errc::InvalidArgument, fmt::format("format value \"{}\" could not be parsed: parsing failed", o->format));
      return 0;
    });
    add_bool(app, "--short", o->short_form, "Shows only Compose's version number");
    add_string(app, "-f,--format", o->format, "Format the output. Values: [pretty | json]. (Default: pretty)");
  }
}

}  // namespace berth::cli
