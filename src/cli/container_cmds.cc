// Container verbs that are one request per argument, plus wait, rename,
// update, top, diff, commit, prune and inspect.
#include <fmt/format.h>

#include "base/strings.h"
#include "cli/command.h"
#include "cli/container_run.h"
#include "cli/filters.h"
#include "cli/inspect.h"
#include "cli/port_spec.h"
#include "cli/run_options.h"
#include "cli/table.h"
#include "cli/units.h"

namespace berth::cli {

namespace {

// docker's rule for verbs over several containers: go on after a failure,
// print each success, exit 1 when any failed.
Result<int> for_each(const std::vector<std::string>& names,
                     const std::function<Result<api::Response>(const std::string&)>& act, bool print_name = true) {
  int rc = 0;
  for (const auto& name : names) {
    auto r = act(name);
    if (!r) {
      err(r.error().str() + "\n");
      rc = 1;
    } else if (print_name) {
      outf("{}\n", name);
    }
  }
  return rc;
}

std::string esc(const std::string& s) { return url_encode(s); }


}  // namespace

void add_lifecycle_commands(Invocation& inv, CLI::App* parent) {
  Cli& cli = inv.cli;
  if (inv.wants(parent, "start")) {
    struct O { std::vector<std::string> args; bool attach = false, interactive = false; std::string detach_keys; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "start", "[OPTIONS] CONTAINER [CONTAINER...]",
                                "Start one or more stopped containers", &o->args, {1}, [&cli, o]() -> Result<int> {
      if (o->attach || o->interactive) {
        if (o->args.size() > 1) return fail(Errc::InvalidArgument, "you cannot start and attach multiple containers at once");
        Json c = TRY(cli.get_json("/containers/" + esc(o->args[0]) + "/json"));
        AttachPlan plan{.id = c["Id"].get<std::string>(), .tty = c["Config"].value("Tty", false),
                        .stdin = o->interactive, .auto_remove = c["HostConfig"].value("AutoRemove", false),
                        .sig_proxy = true, .detach_keys = o->detach_keys};
        return attach_and_start(cli, plan);
      }
      std::vector<std::string> failed;
      for (const auto& name : o->args) {
        auto r = cli.call("POST", "/containers/" + esc(name) + "/start");
        if (!r) {
          err(r.error().str() + "\n");
          failed.push_back(name);
        } else {
          outf("{}\n", name);
        }
      }
      if (!failed.empty()) {
        errf("Error: failed to start containers: {}\n", join(failed, ", "));
        return 1;
      }
      return 0;
    });
    add_bool(app, "-a,--attach", o->attach, "Attach STDOUT/STDERR and forward signals");
    add_bool(app, "-i,--interactive", o->interactive, "Attach container's STDIN");
    add_string(app, "--detach-keys", o->detach_keys, "Override the key sequence for detaching a container");
  }
  if (inv.wants(parent, "stop")) {
    struct O { std::vector<std::string> args; int64_t time = -1; std::string signal; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "stop", "[OPTIONS] CONTAINER [CONTAINER...]",
                                "Stop one or more running containers", &o->args, {1}, [&cli, o]() -> Result<int> {
      std::string q;
      if (o->time >= 0) q += fmt::format("{}t={}", q.empty() ? "?" : "&", o->time);
      if (!o->signal.empty()) q += fmt::format("{}signal={}", q.empty() ? "?" : "&", esc(o->signal));
      return for_each(o->args, [&](const std::string& n) { return cli.call("POST", "/containers/" + esc(n) + "/stop" + q); });
    });
    add_int(app, "-t,--time", o->time, "Seconds to wait before killing the container");
    add_string(app, "-s,--signal", o->signal, "Signal to send to the container");
  }
  if (inv.wants(parent, "restart")) {
    struct O { std::vector<std::string> args; int64_t time = -1; std::string signal; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "restart", "[OPTIONS] CONTAINER [CONTAINER...]",
                                "Restart one or more containers", &o->args, {1}, [&cli, o]() -> Result<int> {
      std::string q;
      if (o->time >= 0) q += fmt::format("{}t={}", q.empty() ? "?" : "&", o->time);
      if (!o->signal.empty()) q += fmt::format("{}signal={}", q.empty() ? "?" : "&", esc(o->signal));
      return for_each(o->args, [&](const std::string& n) { return cli.call("POST", "/containers/" + esc(n) + "/restart" + q); });
    });
    add_int(app, "-t,--time", o->time, "Seconds to wait before killing the container");
    add_string(app, "-s,--signal", o->signal, "Signal to send to the container");
  }
  if (inv.wants(parent, "kill")) {
    struct O { std::vector<std::string> args; std::string signal; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "kill", "[OPTIONS] CONTAINER [CONTAINER...]",
                                "Kill one or more running containers", &o->args, {1}, [&cli, o]() -> Result<int> {
      std::string q = o->signal.empty() ? "" : "?signal=" + esc(o->signal);
      return for_each(o->args, [&](const std::string& n) { return cli.call("POST", "/containers/" + esc(n) + "/kill" + q); });
    });
    add_string(app, "-s,--signal", o->signal, "Signal to send to the container");
  }
  for (const char* verb : {"pause", "unpause"}) {
    auto args = std::make_shared<std::vector<std::string>>();
    std::string v = verb;
    if (!inv.wants(parent, v)) continue;
    add_command(inv, parent, v, "CONTAINER [CONTAINER...]",
                v == "pause" ? "Pause all processes within one or more containers"
                             : "Unpause all processes within one or more containers",
                args.get(), {1}, [&cli, args, v]() -> Result<int> {
                  return for_each(*args, [&](const std::string& n) { return cli.call("POST", "/containers/" + esc(n) + "/" + v); });
                });
  }
  if (inv.wants(parent, "wait")) {
    auto args = std::make_shared<std::vector<std::string>>();
    add_command(inv, parent, "wait", "CONTAINER [CONTAINER...]",
                "Block until one or more containers stop, then print their exit codes", args.get(), {1},
                [&cli, args]() -> Result<int> {
                  return for_each(*args, [&](const std::string& n) -> Result<api::Response> {
                    api::Response r = TRY(cli.call("POST", "/containers/" + esc(n) + "/wait"));
                    Json j = Json::parse(r.body, nullptr, false);
                    outf("{}\n", j.is_object() ? j.value("StatusCode", 0) : 0);
                    return r;
                  }, false);
                });
  }
  if (inv.wants(parent, "rm")) {
    struct O { std::vector<std::string> args; bool force = false, volumes = false; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "rm", "[OPTIONS] CONTAINER [CONTAINER...]",
                                "Remove one or more containers", &o->args, {1}, [&cli, o]() -> Result<int> {
      std::string q = fmt::format("?force={}&v={}", o->force ? 1 : 0, o->volumes ? 1 : 0);
      return for_each(o->args, [&](const std::string& n) { return cli.call("DELETE", "/containers/" + esc(n) + q); });
    });
    add_bool(app, "-f,--force", o->force, "Force the removal of a running container (uses SIGKILL)");
    add_bool(app, "-v,--volumes", o->volumes, "Remove anonymous volumes associated with the container");
  }
  if (inv.wants(parent, "rename")) {
    auto args = std::make_shared<std::vector<std::string>>();
    add_command(inv, parent, "rename", "CONTAINER NEW_NAME", "Rename a container", args.get(), {2, 2},
                [&cli, args]() -> Result<int> {
                  if (trim((*args)[1]).empty()) return fail(Errc::InvalidArgument, "Error: Neither old nor new names may be empty");
                  TRYV(cli.call("POST", "/containers/" + esc((*args)[0]) + "/rename?name=" + esc((*args)[1])));
                  return 0;
                });
  }
  if (inv.wants(parent, "update")) {
    struct O {
      std::vector<std::string> args;
      std::string memory, memory_swap, cpus, cpuset_cpus, restart;
      std::optional<int64_t> pids_limit, cpu_shares;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "update", "[OPTIONS] CONTAINER [CONTAINER...]",
                                "Update configuration of one or more containers", &o->args, {1},
                                [&cli, o]() -> Result<int> {
      Json body = Json::object();
      if (!o->memory.empty()) body["Memory"] = TRY(parse_ram_bytes(o->memory));
      if (!o->memory_swap.empty()) body["MemorySwap"] = o->memory_swap == "-1" ? int64_t{-1} : TRY(parse_ram_bytes(o->memory_swap));
      if (!o->cpus.empty()) body["NanoCpus"] = TRY(parse_nano_cpus(o->cpus));
      if (o->cpu_shares) body["CpuShares"] = *o->cpu_shares;
      if (!o->cpuset_cpus.empty()) body["CpusetCpus"] = o->cpuset_cpus;
      if (o->pids_limit) body["PidsLimit"] = *o->pids_limit;
      if (!o->restart.empty()) body["RestartPolicy"] = TRY(parse_restart_policy(o->restart));
      if (body.empty()) return fail(Errc::InvalidArgument, "you must provide one or more flags when using this command");
      return for_each(o->args, [&](const std::string& n) -> Result<api::Response> {
        api::Response r = TRY(cli.post("/containers/" + esc(n) + "/update", body));
        Json j = Json::parse(r.body, nullptr, false);
        if (j.is_object() && j.contains("Warnings") && j["Warnings"].is_array()) {
          for (const auto& w : j["Warnings"]) errf("WARNING: {}\n", w.get<std::string>());
        }
        return r;
      });
    });
    add_string(app, "-m,--memory", o->memory, "Memory limit", "bytes");
    add_string(app, "--memory-swap", o->memory_swap, "Swap limit equal to memory plus swap: -1 to enable unlimited swap", "bytes");
    add_string(app, "--cpus", o->cpus, "Number of CPUs", "decimal");
    app->add_option_function<int64_t>("-c,--cpu-shares", [o](const int64_t& v) { o->cpu_shares = v; }, "CPU shares (relative weight)")->type_name("int");
    add_string(app, "--cpuset-cpus", o->cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
    app->add_option_function<int64_t>("--pids-limit", [o](const int64_t& v) { o->pids_limit = v; }, "Tune container pids limit (set -1 for unlimited)")->type_name("int");
    add_string(app, "--restart", o->restart, "Restart policy to apply when a container exits");
  }
  if (inv.wants(parent, "top")) {
    auto args = std::make_shared<std::vector<std::string>>();
    add_command(inv, parent, "top", "CONTAINER [ps OPTIONS]", "Display the running processes of a container",
                args.get(), {1}, [&cli, args]() -> Result<int> {
      std::string q = "/containers/" + esc((*args)[0]) + "/top";
      if (args->size() > 1) q += "?ps_args=" + esc(join(std::vector<std::string>(args->begin() + 1, args->end()), " "));
      Json j = TRY(cli.get_json(q));
      std::string text;
      auto line = [&](const Json& cells) {
        std::vector<std::string> v;
        for (const auto& cell : cells) v.push_back(go_print(cell));
        text += join(v, "\t") + "\n";
      };
      line(j.value("Titles", Json::array()));
      for (const auto& row : j.value("Processes", Json::array())) line(row);
      out(tabwrite(text, 20, 3));
      return 0;
    });
  }
  if (inv.wants(parent, "port")) {
    auto args = std::make_shared<std::vector<std::string>>();
    add_command(inv, parent, "port", "CONTAINER [PRIVATE_PORT[/PROTO]]",
                "List port mappings or a specific mapping for the container", args.get(), {1, 2},
                [&cli, args]() -> Result<int> {
      const std::string& name = (*args)[0];
      Json c = TRY(cli.get_json("/containers/" + esc(name) + "/json"));
      Json ports = c.contains("NetworkSettings") && c["NetworkSettings"].is_object()
                       ? c["NetworkSettings"].value("Ports", Json(nullptr))
                       : Json(nullptr);
      auto lines = TRY(port_lines(ports, args->size() > 1 ? (*args)[1] : "", name));
      if (!lines.empty()) out(join(lines, "\n") + "\n");
      return 0;
    });
  }
  if (inv.wants(parent, "diff")) {
    auto args = std::make_shared<std::vector<std::string>>();
    add_command(inv, parent, "diff", "CONTAINER",
                "Inspect changes to files or directories on a container's filesystem", args.get(), {1, 1},
                [&cli, args]() -> Result<int> {
      Json j = TRY(cli.get_json("/containers/" + esc((*args)[0]) + "/changes"));
      if (!j.is_array()) return 0;
      for (const auto& c : j) {
        int kind = c.value("Kind", 0);
        outf("{} {}\n", kind == 1 ? 'A' : kind == 2 ? 'D' : 'C', c.value("Path", ""));
      }
      return 0;
    });
  }
  if (inv.wants(parent, "commit")) {
    struct O { std::vector<std::string> args, changes; std::string message, author; bool pause = true; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "commit", "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
                                "Create a new image from a container's changes", &o->args, {1, 2},
                                [&cli, o]() -> Result<int> {
      std::string q = "/commit?container=" + esc(o->args[0]);
      if (o->args.size() == 2) {
        std::string ref = o->args[1], tag;
        size_t colon = ref.rfind(':');
        if (colon != std::string::npos && ref.find('/', colon) == std::string::npos) {
          tag = ref.substr(colon + 1);
          ref = ref.substr(0, colon);
        }
        q += "&repo=" + esc(ref);
        if (!tag.empty()) q += "&tag=" + esc(tag);
      }
      if (!o->message.empty()) q += "&comment=" + esc(o->message);
      if (!o->author.empty()) q += "&author=" + esc(o->author);
      q += o->pause ? "&pause=1" : "&pause=0";
      for (const auto& c : o->changes) q += "&changes=" + esc(c);
      api::Response r = TRY(cli.call("POST", q, "{}"));
      Json j = Json::parse(r.body, nullptr, false);
      outf("{}\n", j.is_object() ? j.value("Id", "") : "");
      return 0;
    });
    add_list(app, "-c,--change", o->changes, "Apply Dockerfile instruction to the created image");
    add_string(app, "-m,--message", o->message, "Commit message");
    add_string(app, "-a,--author", o->author, "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
    add_bool(app, "-p,--pause", o->pause, "Pause container during commit (default true)");
  }
}

void add_container_prune(Invocation& inv, CLI::App* parent) {
  if (!inv.wants(parent, "prune")) return;
  Cli& cli = inv.cli;
  struct O { bool force = false; std::vector<std::string> filters; };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, parent, "prune", "[OPTIONS]", "Remove all stopped containers", nullptr, {},
                              [&cli, o]() -> Result<int> {
    if (!o->force && !confirm_prompt("WARNING! This will remove all stopped containers.")) return 0;
    std::string q = "/containers/prune";
    if (!o->filters.empty()) q += "?filters=" + esc(filters_json(o->filters));
    api::Response r = TRY(cli.call("POST", q));
    Json j = Json::parse(r.body, nullptr, false);
    auto deleted = j.is_object() ? j.value("ContainersDeleted", Json::array()) : Json::array();
    if (deleted.is_array() && !deleted.empty()) {
      out("Deleted Containers:\n");
      for (const auto& id : deleted) outf("{}\n", id.get<std::string>());
      out("\n");
    }
    outf("Total reclaimed space: {}\n", human_size(j.is_object() ? j.value("SpaceReclaimed", 0.0) : 0.0));
    return 0;
  });
  add_bool(app, "-f,--force", o->force, "Do not prompt for confirmation");
  add_list(app, "--filter", o->filters, "Provide filter values (e.g. \"until=<timestamp>\")", "filter");
}

}  // namespace berth::cli
