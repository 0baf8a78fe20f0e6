// berth compose ps / images / top / port: what the project's containers are
// and show, found by the project label (so containers made by docker-compose
// 1.29 or Compose v2 are listed too).
#include <algorithm>

#include <fmt/format.h>

#include "cli/compose_cli.h"
#include "cli/port_spec.h"
#include "cli/table.h"
#include "cli/units.h"
#include "compose/labels.h"
#include "compose_ops/naming.h"

namespace berth::cli {

namespace {

using compose_ops::ContainerInfo;

std::string quoted_command(const std::string& command, bool no_trunc) {
  std::string c = command;
  if (!no_trunc && c.size() > 20) c = c.substr(0, 19) + "…";
  return "\"" + c + "\"";
}

Json ps_row(const ContainerInfo& c, const std::string& project) {
  std::string labels;
  for (const auto& [k, v] : c.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
  Json publishers = Json::array();
  for (const auto& p : c.ports)
    publishers.push_back(Json{{"URL", p.value("IP", "")},
                              {"TargetPort", p.value("PrivatePort", 0)},
                              {"PublishedPort", p.value("PublicPort", 0)},
                              {"Protocol", p.value("Type", "tcp")}});
  int64_t age = std::max<int64_t>(0, unix_now() - c.created);
  int exit_code = 0;
  if (auto open = c.status.find("Exited ("); open != std::string::npos) exit_code = std::atoi(c.status.c_str() + open + 8);
  std::string health;
  if (c.status.find("(healthy)") != std::string::npos) health = "healthy";
  else if (c.status.find("(unhealthy)") != std::string::npos) health = "unhealthy";
  else if (c.status.find("(health: starting)") != std::string::npos) health = "starting";
  return Json{{"Command", quoted_command(c.command, true)},
              {"CreatedAt", c.created},
              {"ExitCode", exit_code},
              {"Health", health},
              {"ID", c.id},
              {"Image", c.image},
              {"Labels", labels},
              {"Name", c.name},
              {"Names", c.name},
              {"Ports", displayable_ports(c.ports)},
              {"Project", project},
              {"Publishers", publishers},
              {"RunningFor", human_duration(age) + " ago"},
              {"Service", c.service()},
              {"State", c.state},
              {"Status", c.status}};
}

// The container of SERVICE with number `index` (compose's --index, default 1).
Result<ContainerInfo> service_container(ComposeSession& s, const std::string& service, int64_t index) {
  if (!s.project.services.contains(service)) return fail(Errc::NotFound, "no such service: " + service);
  for (auto& c : TRY(s.engine->list_containers(s.project.name)))
    if (!c.oneoff() && c.service() == service && c.number() == index) return c;
  return fail(Errc::NotFound, fmt::format("service \"{}\" is not running container #{}", service, index));
}

}  // namespace

void add_compose_listing(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals) {
  Cli& cli = inv.cli;
  if (inv.wants(group, "ps")) {
    struct O {
      std::vector<std::string> args;
      bool all = false, quiet = false, services = false, no_trunc = false;
      std::string format = "table";
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "ps", "[OPTIONS] [SERVICE...]", "List containers", &o->args, {},
                                [&cli, o, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      std::set<std::string> wanted = TRY(named_services(s.project, o->args));
      std::vector<ContainerInfo> rows;
      for (auto& c : TRY(s.engine->list_containers(s.project.name))) {
        if (!o->args.empty() && !wanted.contains(c.service())) continue;
        if (!o->all && !c.running()) continue;
        rows.push_back(std::move(c));
      }
      std::sort(rows.begin(), rows.end(), [](const ContainerInfo& a, const ContainerInfo& b) { return a.name < b.name; });
      if (o->services) {
        std::set<std::string> names;
        for (const auto& c : rows) names.insert(c.service());
        for (const auto& n : names) outf("{}\n", n);
        return 0;
      }
      if (o->quiet) {
        for (const auto& c : rows) outf("{}\n", c.id);
        return 0;
      }
      if (o->format == "json") {
        for (const auto& c : rows) outf("{}\n", ps_row(c, s.project.name).dump());
        return 0;
      }
      if (o->format != "table") return fail(Errc::InvalidArgument, "berth compose ps supports --format table or json");
      std::string text = "NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS\n";
      for (const auto& c : rows) {
        int64_t age = std::max<int64_t>(0, unix_now() - c.created);
        text += fmt::format("{}\t{}\t{}\t{}\t{} ago\t{}\t{}\n", c.name, c.image, quoted_command(c.command, o->no_trunc),
                            c.service(), human_duration(age), c.status, displayable_ports(c.ports));
      }
      out(tabwrite(text));
      return 0;
    });
    add_bool(app, "-a,--all", o->all, "Show all stopped containers (including those created by the run command)");
    add_bool(app, "-q,--quiet", o->quiet, "Only display IDs");
    add_bool(app, "--services", o->services, "Display services");
    add_bool(app, "--no-trunc", o->no_trunc, "Don't truncate output");
    add_string(app, "--format", o->format, "Format output using a custom template: 'table' (default) or 'json'");
  }
  if (inv.wants(group, "port")) {
    struct O {
      std::vector<std::string> args;
      std::string protocol = "tcp";
      int64_t index = 1;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "port", "[OPTIONS] SERVICE PRIVATE_PORT", "Print the public port for a port binding",
                                &o->args, {2, 2}, [&cli, o, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      ContainerInfo c = TRY(service_container(s, o->args[0], o->index));
      std::string key = o->args[1].find('/') == std::string::npos ? o->args[1] + "/" + o->protocol : o->args[1];
      Json j = TRY(TRY(s.engine->call("GET", "/containers/" + url_encode(c.id) + "/json")).json());
      const Json& ports = j["NetworkSettings"]["Ports"];
      if (ports.is_object() && ports.contains(key) && ports[key].is_array() && !ports[key].empty()) {
        const Json& b = ports[key][0];
        outf("{}\n", join_host_port(b.value("HostIp", ""), b.value("HostPort", "")));
        return 0;
      }
      return fail(Errc::NotFound, fmt::format("no port {} for container {}", key, c.name));
    });
    add_string(app, "--protocol", o->protocol, "tcp or udp (default \"tcp\")");
    add_int(app, "--index", o->index, "Index of the container if service has multiple replicas (default 1)");
  }
  if (inv.wants(group, "top")) {
    auto args = std::make_shared<std::vector<std::string>>();
    add_command(inv, group, "top", "[SERVICES...]", "Display the running processes", args.get(), {},
                [&cli, args, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      std::set<std::string> wanted = TRY(named_services(s.project, *args));
      std::vector<ContainerInfo> rows = TRY(s.engine->list_containers(s.project.name));
      std::sort(rows.begin(), rows.end(), [](const ContainerInfo& a, const ContainerInfo& b) { return a.name < b.name; });
      bool first = true;
      for (const auto& c : rows) {
        if (!c.running() || !wanted.contains(c.service())) continue;
        Json top = TRY(TRY(s.engine->call("GET", "/containers/" + url_encode(c.id) + "/top")).json());
        std::string text;
        for (const auto& t : top["Titles"]) text += t.get<std::string>() + "\t";
        text += "\n";
        for (const auto& p : top["Processes"]) {
          for (const auto& f : p) text += f.get<std::string>() + "\t";
          text += "\n";
        }
        outf("{}{}\n{}", first ? "" : "\n", c.name, tabwrite(text, 0, 3));
        first = false;
      }
      return 0;
    });
  }
  if (inv.wants(group, "images")) {
    struct O {
      std::vector<std::string> args;
      bool quiet = false;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "images", "[OPTIONS] [SERVICE...]", "List images used by the created containers",
                                &o->args, {}, [&cli, o, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      std::set<std::string> wanted = TRY(named_services(s.project, o->args));
      std::vector<ContainerInfo> rows = TRY(s.engine->list_containers(s.project.name));
      std::sort(rows.begin(), rows.end(), [](const ContainerInfo& a, const ContainerInfo& b) { return a.name < b.name; });
      std::string text = "CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE\n";
      std::set<std::string> ids;
      std::map<std::string, Json> images;  // one inspect per image
      for (const auto& c : rows) {
        if (!wanted.contains(c.service())) continue;
        if (!images.contains(c.image_id))
          images[c.image_id] = TRY(TRY(s.engine->call("GET", "/images/" + url_encode(c.image_id) + "/json")).json());
        const Json& img = images[c.image_id];
        std::string repo = "<none>", tag = "<none>";
        if (img.contains("RepoTags") && img["RepoTags"].is_array() && !img["RepoTags"].empty()) {
          std::string rt = img["RepoTags"][0].get<std::string>();
          auto colon = rt.rfind(':');
          repo = rt.substr(0, colon);
          tag = colon == std::string::npos ? "latest" : rt.substr(colon + 1);
        }
        std::string short_id = c.image_id.starts_with("sha256:") ? c.image_id.substr(7, 12) : c.image_id.substr(0, 12);
        ids.insert(c.image_id);
        text += fmt::format("{}\t{}\t{}\t{}\t{}\n", c.name, repo, tag, short_id,
                            human_size(static_cast<double>(img.value("Size", int64_t{0}))));
      }
      if (o->quiet) {
        for (const auto& id : ids) outf("{}\n", id);
        return 0;
      }
      out(tabwrite(text));
      return 0;
    });
    add_bool(app, "-q,--quiet", o->quiet, "Only display IDs");
  }
}

}  // namespace berth::cli
