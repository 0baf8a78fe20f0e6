#include "cli/unavailable_cmds.h"

#include <deque>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "cli/command.h"

namespace berth::cli {

namespace {

struct Unavailable {
  const char* verb;
  const char* what;     // "<what> is not available in this version of berth yet"
  const char* instead;  // what berth offers meanwhile
};

constexpr Unavailable kUnavailable[] = {
    {"search", "searching registries", "`berth images` lists the local images"},
};

struct Flag {
  enum class Kind { Bool, String, List } kind;
  const char* names;
  const char* description;
  const char* type = "";
};

using K = Flag::Kind;

// docker-cli 28's flags of each verb (docker VERB --help).
const std::vector<Flag>& flags_of(const std::string& verb) {
  static const std::vector<Flag> search = {
      {K::List, "-f,--filter", "Filter output based on conditions provided", "filter"},
      {K::String, "--format", "Pretty-print search using a Go template", "string"},
      {K::String, "--limit", "Max number of search results", "int"},
      {K::Bool, "--no-trunc", "Don't truncate output"},
  };
  static const std::vector<Flag> none;
  if (verb == "search") return search;
  return none;
}

// Where the parsed flag values go (nothing reads them): deques keep the
// references CLI11 holds stable as they grow.
struct FlagSink {
  std::vector<std::string> args;
  std::deque<bool> bools;
  std::deque<std::string> strings;
  std::deque<std::vector<std::string>> lists;
};

// `summary` is the line command lists show; `description` (if any) the text of the command's own --help.
void add_unavailable(Invocation& inv, CLI::App* parent, const std::string& verb, const std::string& usage,
                     const std::string& summary, ArgCount count, const std::string& description = "") {
  if (!inv.wants(parent, verb)) return;
  auto sink = std::make_shared<FlagSink>();
  // The message names the command as typed ("berth image pull").
  std::string path = (inv.info.contains(parent) ? inv.info.at(parent).path : std::string("berth")) + " " + verb;
  CLI::App* app = add_command(inv, parent, verb, usage, summary, &sink->args, count, [sink, path]() -> Result<int> {
    errf("{}\n", unavailable_message(path).value_or(path + " is not available in this version of berth"));
    return 1;
  });
  if (!description.empty()) inv.info.at(app).description = description;
  for (const Flag& f : flags_of(verb)) {
    switch (f.kind) {
      case K::Bool: add_bool(app, f.names, sink->bools.emplace_back(false), f.description); break;
      case K::String: add_string(app, f.names, sink->strings.emplace_back(), f.description, f.type); break;
      case K::List: add_list(app, f.names, sink->lists.emplace_back(), f.description, f.type); break;
    }
  }
}

}  // namespace

std::optional<std::string> unavailable_message(const std::string& path) {
  std::string verb = path.substr(path.rfind(' ') + 1);
  for (const Unavailable& u : kUnavailable) {
    if (verb == u.verb) {
      return fmt::format("{}: {} is not available in this version of berth yet ({})", path, u.what, u.instead);
    }
  }
  return std::nullopt;
}

void add_unavailable_commands(Invocation& inv, CLI::App* root) {
  add_unavailable(inv, root, "search", "[OPTIONS] TERM", "Search Docker Hub for images", {1, 1});
}

}  // namespace berth::cli
