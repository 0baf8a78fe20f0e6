// version, info, events, system df, and the type-agnostic inspect.
#include <sys/utsname.h>
#include <time.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/command.h"
#include "cli/filters.h"
#include "cli/inspect.h"
#include "cli/table.h"
#include "cli/units.h"

namespace berth::cli {

namespace {

constexpr const char* kClientVersion = "0.1.0";

Json client_version_json(int api_minor) {
  utsname u{};
  ::uname(&u);
  std::string arch = u.machine;
  if (arch == "x86_64") arch = "amd64";
  else if (arch == "aarch64") arch = "arm64";
  return Json{{"Platform", {{"Name", ""}}},
              {"Version", kClientVersion},
              {"ApiVersion", fmt::format("1.{}", api_minor)},
              {"DefaultAPIVersion", "1.41"},
              {"GitCommit", "berth"},
              {"GoVersion", "n/a (C++)"},
              {"Os", "linux"},
              {"Arch", arch},
              {"BuildTime", ""},
              {"Context", "default"}};
}

// Go's jsonmessage.RFC3339NanoFixed in local time: "2024-05-01T10:20:30.123456789+02:00".
std::string rfc3339_nano_local(int64_t nanos) {
  time_t secs = static_cast<time_t>(nanos / 1000000000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char date[32];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  long off = tm.tm_gmtoff;
  std::string zone = off == 0 ? "Z" : fmt::format("{}{:02d}:{:02d}", off < 0 ? '-' : '+', std::abs(off) / 3600, (std::abs(off) % 3600) / 60);
  return fmt::format("{}.{:09d}{}", date, nanos % 1000000000, zone);
}

std::string event_line(const Json& e) {
  std::string line;
  int64_t nanos = e.value("timeNano", int64_t{0});
  if (nanos == 0) nanos = e.value("time", int64_t{0}) * 1000000000;
  if (nanos != 0) line += rfc3339_nano_local(nanos) + " ";
  const Json actor = e.value("Actor", Json::object());
  line += fmt::format("{} {} {}", e.value("Type", ""), e.value("Action", ""), actor.value("ID", ""));
  Json attrs = actor.value("Attributes", Json::object());
  if (attrs.is_object() && !attrs.empty()) {
    std::vector<std::string> keys;
    for (auto it = attrs.begin(); it != attrs.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());
    std::vector<std::string> parts;
    for (const auto& k : keys) parts.push_back(k + "=" + go_print(attrs[k]));
    line += " (" + join(parts, ", ") + ")";
  }
  return line + "\n";
}

std::string percent_of(double part, double total) {
  if (total <= 0) return human_size(part, 4);
  return fmt::format("{} ({}%)", human_size(part, 4), static_cast<int64_t>(part * 100 / total));
}

void print_info(const Json& s, bool debug) {
  auto str = [&](const char* k) { return s.contains(k) ? go_print(s[k]) : std::string(); };
  std::string text = fmt::format("Client:\n Version:    {}\n Context:    default\n Debug Mode: {}\n\nServer:\n",
                                 kClientVersion, debug ? "true" : "false");
  text += fmt::format(" Containers: {}\n  Running: {}\n  Paused: {}\n  Stopped: {}\n", str("Containers"),
                      str("ContainersRunning"), str("ContainersPaused"), str("ContainersStopped"));
  text += fmt::format(" Images: {}\n", str("Images"));
  const std::pair<const char*, const char*> rows[] = {
      {"Server Version", "ServerVersion"}, {"Storage Driver", "Driver"},   {"Logging Driver", "LoggingDriver"},
      {"Cgroup Driver", "CgroupDriver"},   {"Cgroup Version", "CgroupVersion"}, {"Default Runtime", "DefaultRuntime"},
      {"Init Binary", "InitBinary"},       {"Kernel Version", "KernelVersion"}, {"Operating System", "OperatingSystem"},
      {"OSType", "OSType"},                {"Architecture", "Architecture"}, {"CPUs", "NCPU"}};
  for (const auto& [label, key] : rows) {
    if (s.contains(key) && !str(key).empty()) text += fmt::format(" {}: {}\n", label, str(key));
  }
  if (s.contains("MemTotal")) text += fmt::format(" Total Memory: {}\n", bytes_size(s["MemTotal"].get<double>()));
  for (const auto& [label, key] : {std::pair{"Name", "Name"}, std::pair{"ID", "ID"}, std::pair{"Docker Root Dir", "DockerRootDir"}}) {
    if (s.contains(key)) text += fmt::format(" {}: {}\n", label, str(key));
  }
  text += fmt::format(" Debug Mode: {}\n", s.value("Debug", false) ? "true" : "false");
  if (s.contains("Labels") && s["Labels"].is_array() && !s["Labels"].empty()) {
    text += " Labels:\n";
    for (const auto& l : s["Labels"]) text += "  " + go_print(l) + "\n";
  }
  text += fmt::format(" Experimental: {}\n", s.value("ExperimentalBuild", false) ? "true" : "false");
  // As docker info: the insecure registries (names, then CIDRs) and Docker Hub's mirrors.
  const Json registry = s.value("RegistryConfig", Json::object());
  if (registry.is_object()) {
    std::vector<std::string> insecure;
    const Json indexes = registry.value("IndexConfigs", Json::object());
    for (auto it = indexes.begin(); indexes.is_object() && it != indexes.end(); ++it)
      if (it->is_object() && !it->value("Secure", true)) insecure.push_back(it->value("Name", it.key()));
    const Json cidrs = registry.value("InsecureRegistryCIDRs", Json::array());
    for (const auto& c : cidrs)
      if (c.is_string()) insecure.push_back(c.get<std::string>());
    if (!insecure.empty()) {
      text += " Insecure Registries:\n";
      for (const auto& i : insecure) text += "  " + i + "\n";
    }
    const Json mirrors = registry.value("Mirrors", Json::array());
    if (mirrors.is_array() && !mirrors.empty()) {
      text += " Registry Mirrors:\n";
      for (const auto& m : mirrors)
        if (m.is_string()) text += "  " + m.get<std::string>() + "\n";
    }
  }
  out(text);
  if (s.contains("Warnings") && s["Warnings"].is_array()) {
    for (const auto& w : s["Warnings"]) err(go_print(w) + "\n");
  }
}

}  // namespace

void add_system_commands(Invocation& inv, CLI::App* root, CLI::App* system) {
  Cli& cli = inv.cli;
  if (inv.wants(root, "version")) {
    struct O { std::string format; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, root, "version", "[OPTIONS]", "Show the berth version information", nullptr, {},
                                [&cli, o]() -> Result<int> {
      api::Client* c = TRY(cli.client());
      auto server = cli.get_json("/version");
      Json data{{"Client", client_version_json(c->api_minor())}, {"Server", server ? *server : Json(nullptr)}};
      // Templates name Go's fields (docker's {{.Server.APIVersion}}), not the JSON keys.
      for (const char* side : {"Client", "Server"})
        if (data[side].is_object() && data[side].contains("ApiVersion")) data[side]["APIVersion"] = data[side]["ApiVersion"];
      if (!o->format.empty()) {
        auto text = render_list(o->format == "json" ? "{{json .}}" : o->format, "", Json::object(), {data});
        if (!text) return fail(Errc::InvalidArgument, "template parsing error: " + text.error().message);
        out(*text);
        return server ? 0 : 1;
      }
      const Json& cl = data["Client"];
      std::string text = fmt::format(
          "Client:\n Version:           {}\n API version:       {}\n Go version:        {}\n Git commit:        {}\n"
          " OS/Arch:           {}/{}\n Context:           default\n",
          cl["Version"].get<std::string>(), cl["ApiVersion"].get<std::string>(), cl["GoVersion"].get<std::string>(),
          cl["GitCommit"].get<std::string>(), cl["Os"].get<std::string>(), cl["Arch"].get<std::string>());
      out(text);
      if (!server) return std::unexpected(server.error());
      const Json& s = *server;
      std::string platform = s.contains("Platform") && s["Platform"].is_object() ? s["Platform"].value("Name", "") : "";
      std::string st = platform.empty() ? "\nServer:\n" : "\nServer: " + platform + "\n";
      st += fmt::format(" Engine:\n  Version:          {}\n  API version:      {} (minimum version {})\n"
                        "  Go version:       {}\n  Git commit:       {}\n  Built:            {}\n  OS/Arch:          {}/{}\n"
                        "  Experimental:     {}\n",
                        s.value("Version", ""), s.value("ApiVersion", ""), s.value("MinAPIVersion", ""),
                        s.value("GoVersion", ""), s.value("GitCommit", ""), s.value("BuildTime", ""), s.value("Os", ""),
                        s.value("Arch", ""), s.value("Experimental", false) ? "true" : "false");
      for (const auto& comp : s.value("Components", Json::array())) {
        std::string name = comp.value("Name", "");
        if (name == "Engine") continue;
        st += fmt::format(" {}:\n  Version:          {}\n", name, comp.value("Version", ""));
        if (comp.contains("Details") && comp["Details"].is_object() && comp["Details"].contains("GitCommit")) {
          st += fmt::format("  GitCommit:        {}\n", go_print(comp["Details"]["GitCommit"]));
        }
      }
      out(st);
      return 0;
    });
    add_string(app, "-f,--format", o->format, "Format output using a custom template");
  }
  for (CLI::App* parent : {root, system}) {
    if (!inv.wants(parent, "info")) continue;
    struct O { std::string format; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "info", "[OPTIONS]", "Display system-wide information", nullptr, {},
                                [&cli, o]() -> Result<int> {
      Json s = TRY(cli.get_json("/info"));
      if (!o->format.empty()) {
        auto text = render_list(o->format == "json" ? "{{json .}}" : o->format, "", Json::object(), {s});
        if (!text) return fail(Errc::InvalidArgument, "template parsing error: " + text.error().message);
        out(*text);
        return 0;
      }
      print_info(s, cli.global.debug);
      return 0;
    });
    add_string(app, "-f,--format", o->format, "Format output using a custom template");
  }
  for (CLI::App* parent : {root, system}) {
    if (!inv.wants(parent, "events")) continue;
    struct O { std::string since, until, format; std::vector<std::string> filters; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "events", "[OPTIONS]", "Get real time events from the server", nullptr, {},
                                [&cli, o]() -> Result<int> {
      std::string q = "/events";
      std::string sep = "?";
      int64_t now = unix_now();
      if (!o->since.empty()) q += sep + "since=" + url_encode(TRY(timestamp_arg(o->since, now))), sep = "&";
      if (!o->until.empty()) q += sep + "until=" + url_encode(TRY(timestamp_arg(o->until, now))), sep = "&";
      if (!o->filters.empty()) q += sep + "filters=" + url_encode(filters_json(o->filters));
      std::optional<Template> tmpl;
      if (!o->format.empty()) {
        auto t = Template::parse(o->format == "json" ? "{{json .}}" : o->format);
        if (!t) return fail(Errc::InvalidArgument, "template parsing error: " + t.error().message);
        tmpl = std::move(*t);
      }
      api::Client* c = TRY(cli.client());
      std::string pending;
      Result<void> bad;
      api::Response r = TRY(c->stream("GET", q, "", [&](std::string_view data) {
        pending.append(data);
        size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
          Json e = Json::parse(pending.substr(0, nl), nullptr, false);
          pending.erase(0, nl + 1);
          if (!e.is_object()) continue;
          if (tmpl) {
            auto line = tmpl->execute(e);
            if (!line) {
              bad = std::unexpected(line.error());
              return false;
            }
            if (!write_all(1, *line + "\n")) return false;
          } else if (!write_all(1, event_line(e))) {
            return false;
          }
        }
        return true;
      }));
      TRYV(check(r));
      TRYV(bad);
      return 0;
    });
    add_list(app, "-f,--filter", o->filters, "Filter output based on conditions provided", "filter");
    add_string(app, "--format", o->format, "Format output using a custom template");
    add_string(app, "--since", o->since, "Show all events created since timestamp");
    add_string(app, "--until", o->until, "Stream events until this timestamp");
  }
  if (inv.wants(system, "df")) {
    struct O { bool verbose = false; std::string format; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, system, "df", "[OPTIONS]", "Show berth disk usage", nullptr, {},
                                [&cli, o]() -> Result<int> {
      Json d = TRY(cli.get_json("/system/df"));
      auto list = [&](const char* k) { return d.contains(k) && d[k].is_array() ? d[k] : Json::array(); };
      std::vector<Json> rows;
      auto row = [&](const char* type, size_t total, int active, const std::string& size, const std::string& reclaim) {
        rows.push_back(Json{{"Active", std::to_string(active)}, {"Reclaimable", reclaim}, {"Size", size},
                            {"TotalCount", std::to_string(total)}, {"Type", type}});
      };
      double layers = d.value("LayersSize", 0.0), used = 0;
      int active = 0;
      for (const auto& i : list("Images")) {
        if (i.value("Containers", 0) != 0) {
          ++active;
          if (i.value("Size", -1.0) >= 0 && i.value("SharedSize", -1.0) >= 0) used += i.value("Size", 0.0) - i.value("SharedSize", 0.0);
        }
      }
      row("Images", list("Images").size(), active, human_size(layers, 4), percent_of(layers - used, layers));
      double csize = 0, creclaim = 0;
      active = 0;
      for (const auto& c : list("Containers")) {
        std::string state = c.value("State", "");
        double rw = c.value("SizeRw", 0.0);
        csize += rw;
        if (state.find("running") != std::string::npos || state.find("paused") != std::string::npos) ++active;
        else creclaim += rw;
      }
      row("Containers", list("Containers").size(), active, human_size(csize, 4), percent_of(creclaim, csize));
      double vsize = 0, vreclaim = 0;
      active = 0;
      for (const auto& v : list("Volumes")) {
        Json u = v.value("UsageData", Json::object());
        double sz = u.value("Size", -1.0);
        if (sz > 0) vsize += sz;
        if (u.value("RefCount", 0) > 0) ++active;
        else if (sz > 0) vreclaim += sz;
      }
      row("Local Volumes", list("Volumes").size(), active, human_size(vsize, 4), percent_of(vreclaim, vsize));
      double bsize = 0, breclaim = 0;
      active = 0;
      for (const auto& b : list("BuildCache")) {
        if (b.value("Shared", false)) continue;
        bsize += b.value("Size", 0.0);
        if (b.value("InUse", false)) ++active;
        else breclaim += b.value("Size", 0.0);
      }
      row("Build Cache", list("BuildCache").size(), active, human_size(bsize, 4), human_size(breclaim, 4));
      Json header{{"Active", "ACTIVE"}, {"Reclaimable", "RECLAIMABLE"}, {"Size", "SIZE"}, {"TotalCount", "TOTAL"},
                  {"Type", "TYPE"}};
      auto text = render_list(o->format, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
                              header, rows);
      if (!text) return fail(Errc::InvalidArgument, "template parsing error: " + text.error().message);
      out(*text);
      return 0;
    });
    add_string(app, "--format", o->format, "Format output using a custom template");
    add_bool(app, "-v,--verbose", o->verbose, "Show detailed information on space usage");
  }
  if (inv.wants(root, "inspect")) {
    struct O { std::vector<std::string> args; std::string format, type; bool size = false; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, root, "inspect", "[OPTIONS] NAME|ID [NAME|ID...]",
                                "Return low-level information on berth objects", &o->args, {1},
                                [&cli, o]() -> Result<int> {
      InspectType t = InspectType::Any;
      if (o->type == "container") t = InspectType::Container;
      else if (o->type == "image") t = InspectType::Image;
      else if (!o->type.empty()) return fail(Errc::InvalidArgument, fmt::format("\"{}\" is not a valid value for --type", o->type));
      return inspect_objects(cli, o->args, o->format, t, o->size);
    });
    add_string(app, "-f,--format", o->format, "Format output using a custom template");
    add_bool(app, "-s,--size", o->size, "Display total file sizes if the type is container");
    add_string(app, "--type", o->type, "Return JSON for specified type");
  }
}

}  // namespace berth::cli
