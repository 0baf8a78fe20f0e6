// ps and stats: the daemon's lists turned into docker-cli's table rows.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/command.h"
#include "cli/filters.h"
#include "cli/port_spec.h"
#include "cli/table.h"
#include "cli/units.h"

namespace berth::cli {

// One ps row as docker-cli's ContainerContext renders it.
Json container_row(const Json& c, bool trunc, int64_t now) {
  Json row;
  std::string command = c.value("Command", "");
  if (trunc) command = ellipsis(command, 20);
  row["Command"] = go_quote(command);
  int64_t created = c.value("Created", int64_t{0});
  row["CreatedAt"] = go_time_string(created);
  std::string id = c.value("Id", "");
  row["ID"] = trunc ? short_id(id) : id;
  std::string image = c.value("Image", "");
  if (trunc) {
    if (image.starts_with("sha256:")) image = short_id(image);
    else if (size_t at = image.find('@'); at != std::string::npos) image = image.substr(0, at);
  }
  row["Image"] = image;
  std::vector<std::string> labels;
  const Json label_map = c.value("Labels", Json::object());
  if (label_map.is_object()) {
    for (auto it = label_map.begin(); it != label_map.end(); ++it) labels.push_back(it.key() + "=" + go_print(it.value()));
  }
  row["Labels"] = join(labels, ",");
  std::vector<std::string> mounts;
  int local_volumes = 0;
  const Json mount_list = c.value("Mounts", Json::array());
  for (const auto& m : mount_list.is_array() ? mount_list : Json::array()) {
    std::string name = m.value("Name", "");
    mounts.push_back(name.empty() ? m.value("Source", "") : name);
    if (m.value("Driver", "") == "local") ++local_volumes;
  }
  row["LocalVolumes"] = std::to_string(local_volumes);
  row["Mounts"] = join(mounts, ",");
  std::vector<std::string> names;
  const Json name_list = c.value("Names", Json::array());
  for (const auto& n : name_list.is_array() ? name_list : Json::array()) {
    std::string name = n.get<std::string>();
    if (name.starts_with("/")) name = name.substr(1);
    if (trunc && name.find('/') != std::string::npos) continue;  // link names
    names.push_back(name);
  }
  row["Names"] = join(names, ",");
  std::vector<std::string> networks;
  if (c.contains("NetworkSettings") && c["NetworkSettings"].is_object()) {
    const Json nets = c["NetworkSettings"].value("Networks", Json::object());
    if (nets.is_object()) {
      for (auto it = nets.begin(); it != nets.end(); ++it) networks.push_back(it.key());
    }
  }
  std::sort(networks.begin(), networks.end());
  row["Networks"] = join(networks, ",");
  row["Platform"] = nullptr;  // docker 28's field; the API has it from 1.46 only
  row["Ports"] = displayable_ports(c.value("Ports", Json::array()));
  row["RunningFor"] = human_duration(now - created) + " ago";
  std::string size = human_size(static_cast<double>(c.value("SizeRw", int64_t{0})));
  if (int64_t rootfs = c.value("SizeRootFs", int64_t{0}); rootfs > 0) {
    size += fmt::format(" (virtual {})", human_size(static_cast<double>(rootfs)));
  }
  row["Size"] = size;
  row["State"] = c.value("State", "");
  row["Status"] = c.value("Status", "");
  return row;
}

namespace {

Json ps_header() {
  return Json{{"Command", "COMMAND"},   {"CreatedAt", "CREATED AT"}, {"ID", "CONTAINER ID"},
              {"Image", "IMAGE"},       {"Labels", "LABELS"},        {"LocalVolumes", "LOCAL VOLUMES"},
              {"Mounts", "MOUNTS"},     {"Names", "NAMES"},          {"Networks", "NETWORKS"},
              {"Ports", "PORTS"},       {"RunningFor", "CREATED"},   {"Size", "SIZE"},
              {"State", "STATE"},       {"Status", "STATUS"}};
}

// docker-cli's calculateCPUPercentUnix and memory usage without the page cache.
Json stats_row(const Json& s, const std::string& id_or_name, bool trunc) {
  auto num = [](const Json& j, std::initializer_list<const char*> path) -> double {
    const Json* cur = &j;
    for (const char* k : path) {
      if (!cur->is_object() || !cur->contains(k)) return 0;
      cur = &(*cur)[k];
    }
    return cur->is_number() ? cur->get<double>() : 0;
  };
  double cpu_delta = num(s, {"cpu_stats", "cpu_usage", "total_usage"}) - num(s, {"precpu_stats", "cpu_usage", "total_usage"});
  double sys_delta = num(s, {"cpu_stats", "system_cpu_usage"}) - num(s, {"precpu_stats", "system_cpu_usage"});
  double online = num(s, {"cpu_stats", "online_cpus"});
  if (online == 0 && s.contains("cpu_stats")) {
    online = static_cast<double>(s["cpu_stats"].value("cpu_usage", Json::object()).value("percpu_usage", Json::array()).size());
  }
  double cpu = (sys_delta > 0 && cpu_delta > 0) ? cpu_delta / sys_delta * online * 100.0 : 0.0;
  double usage = num(s, {"memory_stats", "usage"});
  const Json mstats = s.contains("memory_stats") ? s["memory_stats"].value("stats", Json::object()) : Json::object();
  if (mstats.contains("total_inactive_file") && mstats["total_inactive_file"].get<double>() < usage) {
    usage -= mstats["total_inactive_file"].get<double>();
  } else if (mstats.contains("inactive_file") && mstats["inactive_file"].get<double>() < usage) {
    usage -= mstats["inactive_file"].get<double>();
  }
  double limit = num(s, {"memory_stats", "limit"});
  double mem_pct = limit != 0 ? usage / limit * 100.0 : 0.0;
  double rx = 0, tx = 0;
  if (s.contains("networks") && s["networks"].is_object()) {
    for (const auto& [k, v] : s["networks"].items()) {
      rx += v.value("rx_bytes", 0.0);
      tx += v.value("tx_bytes", 0.0);
    }
  }
  double blk_read = 0, blk_write = 0;
  if (s.contains("blkio_stats") && s["blkio_stats"].is_object()) {
    for (const auto& e : s["blkio_stats"].value("io_service_bytes_recursive", Json::array())) {
      std::string op = e.value("op", "");
      if (op == "read" || op == "Read") blk_read += e.value("value", 0.0);
      if (op == "write" || op == "Write") blk_write += e.value("value", 0.0);
    }
  }
  std::string id = s.value("id", "");
  std::string name = s.value("name", "");
  if (name.starts_with("/")) name = name.substr(1);
  Json row;
  row["BlockIO"] = human_size(blk_read) + " / " + human_size(blk_write);
  row["CPUPerc"] = fmt::format("{:.2f}%", cpu);
  row["Container"] = id_or_name;
  row["ID"] = trunc ? short_id(id) : id;
  row["MemPerc"] = fmt::format("{:.2f}%", mem_pct);
  row["MemUsage"] = bytes_size(usage) + " / " + bytes_size(limit);
  row["Name"] = name.empty() ? "--" : name;
  row["NetIO"] = human_size(rx) + " / " + human_size(tx);
  row["PIDs"] = std::to_string(static_cast<int64_t>(num(s, {"pids_stats", "current"})));
  return row;
}

}  // namespace

void add_ps(Invocation& inv, CLI::App* parent, const std::string& name) {
  if (!inv.wants(parent, name)) return;
  Cli& cli = inv.cli;
  struct O {
    bool all = false, quiet = false, latest = false, size = false, no_trunc = false;
    int64_t last = -1;
    std::vector<std::string> filters;
    std::string format;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, parent, name, "[OPTIONS]", "List containers", nullptr, {}, [&cli, o]() -> Result<int> {
    std::string q = "/containers/json?";
    bool all = o->all || o->latest || o->last > 0;
    if (all) q += "all=1&";
    if (o->latest) q += "limit=1&";
    else if (o->last > 0) q += fmt::format("limit={}&", o->last);
    // As docker-cli: a format that shows the size asks the daemon for it.
    bool size = o->size || o->format.find(".Size") != std::string::npos || o->format.find("json") != std::string::npos;
    if (size && !o->quiet) q += "size=1&";
    if (!o->filters.empty()) q += "filters=" + url_encode(filters_json(o->filters)) + "&";
    q.pop_back();
    Json list = TRY(cli.get_json(q));
    std::vector<Json> rows;
    int64_t now = unix_now();
    for (const auto& c : list) rows.push_back(container_row(c, !o->no_trunc, now));
    std::string format = o->format;
    if (o->quiet) format = "{{.ID}}";
    std::string def = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
    if (o->size) def += "\t{{.Size}}";
    auto text = render_list(format, def, ps_header(), rows);
    if (!text) return fail(Errc::InvalidArgument, "template parsing error: " + text.error().message);
    out(*text);
    return 0;
  });
  add_bool(app, "-a,--all", o->all, "Show all containers (default shows just running)");
  add_list(app, "-f,--filter", o->filters, "Filter output based on conditions provided", "filter");
  add_string(app, "--format", o->format, "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')");
  add_int(app, "-n,--last", o->last, "Show n last created containers (includes all states) (default -1)");
  add_bool(app, "-l,--latest", o->latest, "Show the latest created container (includes all states)");
  add_bool(app, "--no-trunc", o->no_trunc, "Don't truncate output");
  add_bool(app, "-q,--quiet", o->quiet, "Only display container IDs");
  add_bool(app, "-s,--size", o->size, "Display total file sizes");
}

void add_stats(Invocation& inv, CLI::App* parent) {
  if (!inv.wants(parent, "stats")) return;
  Cli& cli = inv.cli;
  struct O {
    std::vector<std::string> args;
    bool all = false, no_stream = false, no_trunc = false;
    std::string format;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, parent, "stats", "[OPTIONS] [CONTAINER...]",
                              "Display a live stream of container(s) resource usage statistics", &o->args, {},
                              [&cli, o]() -> Result<int> {
    std::vector<std::string> targets = o->args;
    // Without names: every (running) container, listed again at each refresh
    // so the live table gains new ones and drops removed ones, as docker's does.
    auto list_all = [&]() -> Result<void> {
      if (!o->args.empty()) return {};
      targets.clear();
      Json list = TRY(cli.get_json(o->all ? "/containers/json?all=1" : "/containers/json"));
      for (const auto& c : list) targets.push_back(c.value("Id", ""));
      return {};
    };
    TRYV(list_all());
    std::string def = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
    Json header{{"BlockIO", "BLOCK I/O"}, {"CPUPerc", "CPU %"}, {"Container", "CONTAINER"}, {"ID", "CONTAINER ID"},
                {"MemPerc", "MEM %"},     {"MemUsage", "MEM USAGE / LIMIT"}, {"Name", "NAME"}, {"NetIO", "NET I/O"},
                {"PIDs", "PIDS"}};
    // One sample per container, answered at once from the daemon's shared
    // sampler with precpu_stats from the sample before.
    auto sample = [&](bool live) -> Result<std::vector<Json>> {
      std::vector<Json> rows;
      for (const auto& t : targets) {
        auto s = cli.get_json("/containers/" + url_encode(t) + "/stats?stream=0");
        if (!s && live && o->args.empty() && s.error().code == Errc::NotFound) continue;  // removed since the listing
        rows.push_back(stats_row(TRY(std::move(s)), t, !o->no_trunc));
      }
      return rows;
    };
    auto render = [&](const std::vector<Json>& rows) -> Result<void> {
      auto text = render_list(o->format, def, header, rows);
      if (!text) return fail(Errc::InvalidArgument, "template parsing error: " + text.error().message);
      out(*text);
      return {};
    };
    if (o->no_stream) {
      TRYV(render(TRY(sample(false))));
      return 0;
    }
    // Live: one table of every container, redrawn each second (the daemon's
    // sampler period) until interrupted.
    bool tty = ::isatty(1);
    for (;;) {
      auto rows = TRY(sample(true));
      if (tty) out("\033[2J\033[H");  // clear and home, as docker redraws
      TRYV(render(rows));
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::seconds(1));  // the refresh period, not a wait for an event
      TRYV(list_all());
    }
  });
  add_bool(app, "-a,--all", o->all, "Show all containers (default shows just running)");
  add_string(app, "--format", o->format, "Format output using a custom template");
  add_bool(app, "--no-stream", o->no_stream, "Disable streaming stats and only pull the first result");
  add_bool(app, "--no-trunc", o->no_trunc, "Do not truncate output");
}

}  // namespace berth::cli
