// `berth builder prune`: the build cache's entries and the images only they
// kept, as `docker builder prune` against the legacy builder.
#include "cli/builder_cmds.h"

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/filters.h"
#include "cli/units.h"

namespace berth::cli {

void add_builder_commands(Invocation& inv, CLI::App* builder) {
  Cli& cli = inv.cli;
  if (!inv.wants(builder, "prune")) return;
  struct O {
    bool all = false, force = false;
    std::vector<std::string> filters;
    std::string keep_storage;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, builder, "prune", "", "Remove build cache", nullptr, {}, [&cli, o]() -> Result<int> {
    std::string q = "/build/prune?";
    if (o->all) q += "all=1&";
    if (!o->filters.empty()) q += "filters=" + url_encode(filters_json(o->filters)) + "&";
    if (!o->keep_storage.empty()) {
      auto bytes = parse_ram_bytes(o->keep_storage);
      if (!bytes) return fail(Errc::InvalidArgument, "invalid argument \"" + o->keep_storage + "\" for \"--keep-storage\" flag: " + bytes.error().message);
      q += "keep-storage=" + std::to_string(*bytes) + "&";
    }
    q.pop_back();
    const char* warning = o->all ? "WARNING! This will remove all build cache." : "WARNING! This will remove all dangling build cache.";
    if (!o->force && !confirm_prompt(warning)) return 0;
    api::Response r = TRY(cli.call("POST", q));
    Json j = Json::parse(r.body, nullptr, false);
    Json deleted = j.is_object() ? j.value("CachesDeleted", Json::array()) : Json::array();
    if (deleted.is_array() && !deleted.empty()) {
      out("Deleted build cache objects:\n");
      for (const auto& d : deleted) outf("{}\n", d.is_string() ? d.get<std::string>() : d.dump());
      out("\n");
    }
    outf("Total reclaimed space: {}\n", human_size(j.is_object() ? j.value("SpaceReclaimed", 0.0) : 0.0, 4));
    return 0;
  });
  add_bool(app, "-a,--all", o->all, "Remove all unused build cache, not just dangling ones");
  add_list(app, "--filter", o->filters, "Provide filter values (e.g. \"until=24h\")", "filter");
  add_bool(app, "-f,--force", o->force, "Do not prompt for confirmation");
  add_string(app, "--keep-storage", o->keep_storage, "Amount of disk space to keep for cache", "bytes");
}

}  // namespace berth::cli
