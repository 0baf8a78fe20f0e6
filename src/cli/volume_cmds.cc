// volume create|ls|inspect|rm|prune, as docker-cli 28 (cli/command/volume).
#include <algorithm>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/command.h"
#include "cli/filters.h"
#include "cli/go_compat.h"
#include "cli/port_spec.h"
#include "cli/resource_requests.h"
#include "cli/table.h"
#include "cli/units.h"

namespace berth::cli {

Result<int> inspect_paths(Cli& cli, const std::vector<std::string>& names, const std::string& prefix,
                          const std::string& query, const std::string& format);

Json build_volume_create(const VolumeCreateOptions& o) {
  // Go's struct order with omitempty: Driver, DriverOpts, Labels, Name.
  Json body = Json::object();
  body["Driver"] = o.driver;
  if (!o.opts.empty()) body["DriverOpts"] = string_map(o.opts);
  if (!o.labels.empty()) body["Labels"] = string_map(o.labels);
  if (!o.name.empty()) body["Name"] = o.name;
  return body;
}

namespace {

Json volume_row(const Json& v) {
  Json row = Json::object();
  row["Availability"] = "N/A";
  row["Driver"] = v.value("Driver", "");
  row["Group"] = "N/A";
  std::vector<std::string> labels;
  const Json l = v.contains("Labels") && v["Labels"].is_object() ? v["Labels"] : Json::object();
  for (auto it = l.begin(); it != l.end(); ++it) labels.push_back(it.key() + "=" + go_print(it.value()));
  std::sort(labels.begin(), labels.end());
  row["Labels"] = join(labels, ",");
  const Json usage = v.contains("UsageData") && v["UsageData"].is_object() ? v["UsageData"] : Json(nullptr);
  int64_t refs = usage.is_object() ? usage.value("RefCount", int64_t{-1}) : -1;
  int64_t size = usage.is_object() ? usage.value("Size", int64_t{-1}) : -1;
  row["Links"] = refs < 0 ? "N/A" : std::to_string(refs);
  row["Mountpoint"] = v.value("Mountpoint", "");
  row["Name"] = v.value("Name", "");
  row["Scope"] = v.value("Scope", "");
  row["Size"] = size < 0 ? "N/A" : human_size(static_cast<double>(size));
  row["Status"] = "N/A";
  return row;
}

}  // namespace

void add_volume_commands(Invocation& inv, CLI::App* group) {
  Cli& cli = inv.cli;
  if (inv.wants(group, "create")) {
    struct O {
      std::vector<std::string> args;
      VolumeCreateOptions v;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "create", "[OPTIONS] [VOLUME]", "Create a volume", &o->args, {0, 1},
                                [&cli, o]() -> Result<int> {
      if (!o->args.empty()) {
        if (!o->v.name.empty()) {
          return fail(Errc::InvalidArgument,
                      "conflicting options: cannot specify a volume-name through both --name and as a positional arg");
        }
        o->v.name = o->args[0];
      }
      api::Response r = TRY(cli.post("/volumes/create", build_volume_create(o->v)));
      Json j = Json::parse(r.body, nullptr, false);
      outf("{}\n", j.is_object() ? j.value("Name", "") : "");
      return 0;
    });
    add_string(app, "-d,--driver", o->v.driver, "Specify volume driver name (default \"local\")");
    add_list(app, "--label", o->v.labels, "Set metadata for a volume");
    add_string(app, "--name", o->v.name, "Specify volume name");
    add_list(app, "-o,--opt", o->v.opts, "Set driver specific options", "map");
  }
  for (const char* name : {"ls", "list"}) {
    if (!inv.wants(group, name)) continue;
    struct O {
      std::vector<std::string> filters;
      std::string format;
      bool quiet = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, name, "[OPTIONS]", "List volumes", nullptr, {}, [&cli, o]() -> Result<int> {
      std::string q = "/volumes";
      if (!o->filters.empty()) q += "?filters=" + url_encode(filters_json(o->filters));
      Json j = TRY(cli.get_json(q));
      std::vector<Json> vols;
      if (j.is_object() && j.contains("Volumes") && j["Volumes"].is_array()) vols.assign(j["Volumes"].begin(), j["Volumes"].end());
      std::stable_sort(vols.begin(), vols.end(), [](const Json& a, const Json& b) {
        return natural_less(a.value("Name", ""), b.value("Name", ""));
      });
      std::vector<Json> rows;
      for (const auto& v : vols) rows.push_back(volume_row(v));
      std::string format = o->format;
      if (o->quiet && (format.empty() || format == "table")) format = "{{.Name}}";
      Json header{{"Availability", "AVAILABILITY"}, {"Driver", "DRIVER"}, {"Group", "GROUP"}, {"Labels", "LABELS"},
                  {"Links", "LINKS"}, {"Mountpoint", "MOUNTPOINT"}, {"Name", "VOLUME NAME"}, {"Scope", "SCOPE"},
                  {"Size", "SIZE"}, {"Status", "STATUS"}};
      auto text = render_list(format, "table {{.Driver}}\t{{.Name}}", header, rows);
      if (!text) return fail(Errc::InvalidArgument, "template parsing error: " + text.error().message);
      out(*text);
      return 0;
    });
    add_list(app, "-f,--filter", o->filters, "Provide filter values (e.g. \"dangling=true\")", "filter");
    add_string(app, "--format", o->format,
               "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')");
    add_bool(app, "-q,--quiet", o->quiet, "Only display volume names");
  }
  if (inv.wants(group, "inspect")) {
    struct O {
      std::vector<std::string> args;
      std::string format;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "inspect", "[OPTIONS] VOLUME [VOLUME...]",
                                "Display detailed information on one or more volumes", &o->args, {1},
                                [&cli, o] { return inspect_paths(cli, o->args, "/volumes/", "", o->format); });
    add_string(app, "-f,--format", o->format, "Format output using a custom template");
  }
  for (const char* name : {"rm", "remove"}) {
    if (!inv.wants(group, name)) continue;
    struct O {
      std::vector<std::string> args;
      bool force = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, name, "[OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes",
                                &o->args, {1}, [&cli, o]() -> Result<int> {
      int rc = 0;
      for (const auto& v : o->args) {
        auto r = cli.call("DELETE", "/volumes/" + url_encode(v) + (o->force ? "?force=1" : ""));
        if (!r) {
          if (r.error().code == Errc::Unavailable) return std::unexpected(r.error());
          err(r.error().str() + "\n");
          rc = 1;
          continue;
        }
        outf("{}\n", v);
      }
      return rc;
    });
    add_bool(app, "-f,--force", o->force, "Force the removal of one or more volumes");
  }
  if (inv.wants(group, "prune")) {
    struct O {
      std::vector<std::string> filters;
      bool force = false, all = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "prune", "[OPTIONS]", "Remove unused local volumes", nullptr, {},
                                [&cli, o]() -> Result<int> {
      api::Client* c = TRY(cli.client());
      TRYV(c->negotiate());
      std::vector<std::string> filters = o->filters;
      // API 1.42 prunes anonymous volumes unless all=true; older daemons prune every unused volume.
      std::string warning = "WARNING! This will remove anonymous local volumes not used by at least one container.";
      if (c->api_minor() < 42) {
        if (o->all) {
          return fail(Errc::InvalidArgument, fmt::format("\"--all\" requires API version 1.42, but the berth daemon API "
                                                         "version is 1.{}", c->api_minor()));
        }
        warning = "WARNING! This will remove all local volumes not used by at least one container.";
      } else if (o->all) {
        filters.push_back("all=true");
        warning = "WARNING! This will remove all local volumes not used by at least one container.";
      }
      if (!o->force && !confirm_prompt(warning)) return 0;
      std::string q = "/volumes/prune";
      if (!filters.empty()) q += "?filters=" + url_encode(filters_json(filters));
      api::Response r = TRY(cli.call("POST", q));
      Json j = Json::parse(r.body, nullptr, false);
      Json deleted = j.is_object() ? j.value("VolumesDeleted", Json::array()) : Json::array();
      if (deleted.is_array() && !deleted.empty()) {
        out("Deleted Volumes:\n");
        for (const auto& d : deleted) outf("{}\n", d.is_string() ? d.get<std::string>() : d.dump());
        out("\n");
      }
      outf("Total reclaimed space: {}\n", human_size(j.is_object() ? j.value("SpaceReclaimed", 0.0) : 0.0, 4));
      return 0;
    });
    add_bool(app, "-a,--all", o->all, "Remove all unused volumes, not just anonymous ones");
    add_list(app, "--filter", o->filters, "Provide filter values (e.g. \"label=<label>\")", "filter");
    add_bool(app, "-f,--force", o->force, "Do not prompt for confirmation");
  }
}

}  // namespace berth::cli
