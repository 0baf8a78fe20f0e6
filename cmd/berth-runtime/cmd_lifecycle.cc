// create, start, run, delete, kill, state, list, pause, resume.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "cli.h"

namespace berth::cli {
namespace {

void add_create_flags(CLI::App* cmd, runtime::CreateOptions& o) {
  cmd->add_option("-b,--bundle", o.bundle, "path to the bundle (default: current directory)");
  cmd->add_option("--pid-file", o.pid_file, "write the container process's pid here");
  cmd->add_option("--console-socket", o.console_socket, "UNIX socket that receives the pty master");
  cmd->add_flag("--no-pivot", o.no_pivot, "use MS_MOVE and chroot instead of pivot_root");
  cmd->add_flag("--no-new-keyring", o.no_new_keyring, "keep the caller's session keyring");
  cmd->add_option("--preserve-fds", o.preserve_fds, "pass N extra fds (3..3+N-1) to the container");
  cmd->add_option("id", o.id, "container id")->required();
}

std::string pad(const std::string& s, size_t w) { return s.size() >= w ? s + " " : s + std::string(w - s.size(), ' '); }

}  // namespace

Result<void> refuse_systemd_cgroup(const Globals& g) {
  if (g.systemd_cgroup)
    return fail(Errc::Unsupported,
                "--systemd-cgroup: the systemd cgroup driver is not supported by berth-runtime; "
                "use cgroupfs paths (e.g. podman --cgroup-manager cgroupfs)");
  return {};
}

void add_lifecycle_commands(CLI::App& app, Globals& g, Action& action, const Wanted& want) {
  if (want("create")) {
    static runtime::CreateOptions create_opts;
    auto* create = app.add_subcommand("create", "create a container (its process waits for start)");
    add_create_flags(create, create_opts);
    create->callback([&] {
      action = [&]() -> Result<int> {
        TRYV(refuse_systemd_cgroup(g));
        TRY(runtime::create_container(g.ctx, create_opts));
        return 0;
      };
    });
  }

  if (want("run")) {
    static runtime::CreateOptions run_opts;
    static bool run_detach = false;
    auto* run = app.add_subcommand("run", "create and start a container");
    add_create_flags(run, run_opts);
    run->add_flag("-d,--detach", run_detach, "do not wait for the container to exit");
    static bool keep = false;
    run->add_flag("--keep", keep, "ignored: the container is deleted when it exits");
    run->callback([&] {
      action = [&]() -> Result<int> {
        TRYV(refuse_systemd_cgroup(g));
        return runtime::run_container(g.ctx, run_opts, run_detach);
      };
    });
  }

  static std::string id;
  if (want("start")) {
    auto* start = app.add_subcommand("start", "start a created container");
    start->add_option("id", id, "container id")->required();
    start->callback([&] {
      action = [&]() -> Result<int> {
        TRYV(runtime::start_container(g.ctx, id));
        return 0;
      };
    });
  }

  if (want("delete")) {
    static bool force = false;
    auto* del = app.add_subcommand("delete", "delete a container and its resources");
    del->add_flag("-f,--force", force, "kill the container first if it is running");
    del->add_option("id", id, "container id")->required();
    del->callback([&] {
      action = [&]() -> Result<int> {
        TRYV(runtime::delete_container(g.ctx, id, force));
        return 0;
      };
    });
  }

  if (want("kill")) {
    static bool kill_all = false;
    static std::string signal_name = "SIGTERM";
    auto* kill = app.add_subcommand("kill", "send a signal to the container's process");
    kill->add_flag("-a,--all", kill_all, "signal every process in the container");
    kill->add_option("id", id, "container id")->required();
    kill->add_option("signal", signal_name, "signal name or number (default SIGTERM)");
    kill->callback([&] {
      action = [&]() -> Result<int> {
        int sig = TRY(runtime::parse_signal(signal_name));
        TRYV(runtime::kill_container(g.ctx, id, sig, kill_all));
        return 0;
      };
    });
  }

  if (want("state")) {
    auto* state = app.add_subcommand("state", "print the OCI state of a container");
    state->add_option("id", id, "container id")->required();
    state->callback([&] {
      action = [&]() -> Result<int> {
        auto info = TRY(runtime::inspect_container(g.ctx, id));
        std::cout << runtime::oci_state_json(info).dump(2) << "\n";
        return 0;
      };
    });
  }

  if (want("list")) {
    static std::string list_format = "table";
    static bool quiet = false;
    auto* list = app.add_subcommand("list", "list containers");
    list->alias("ls");
    list->add_option("-f,--format", list_format, "table or json")->check(CLI::IsMember({"table", "json"}));
    list->add_flag("-q,--quiet", quiet, "print ids only");
    list->callback([&] {
      action = [&]() -> Result<int> {
        auto all = TRY(runtime::list_containers(g.ctx));
        if (quiet) {
          for (const auto& c : all) std::cout << c.state.id << "\n";
        } else if (list_format == "json") {
          nlohmann::json arr = nlohmann::json::array();
          for (const auto& c : all) arr.push_back(runtime::oci_state_json(c));
          std::cout << arr.dump() << "\n";
        } else {
          std::cout << pad("ID", 20) << pad("PID", 10) << pad("STATUS", 10) << pad("BUNDLE", 40) << pad("CREATED", 32)
                    << "OWNER\n";
          for (const auto& c : all) {
            auto j = runtime::oci_state_json(c);
            std::cout << pad(c.state.id, 20) << pad(std::to_string(j["pid"].get<int>()), 10)
                      << pad(runtime::status_name(c.status), 10) << pad(c.state.bundle, 40) << pad(c.state.created, 32)
                      << c.state.owner << "\n";
          }
        }
        return 0;
      };
    });
  }

  if (want("pause")) {
    auto* pause = app.add_subcommand("pause", "freeze every process of a container");
    pause->add_option("id", id, "container id")->required();
    pause->callback([&] {
      action = [&]() -> Result<int> {
        TRYV(runtime::pause_container(g.ctx, id));
        return 0;
      };
    });
  }
  if (want("resume")) {
    auto* resume = app.add_subcommand("resume", "thaw a paused container");
    resume->add_option("id", id, "container id")->required();
    resume->callback([&] {
      action = [&]() -> Result<int> {
        TRYV(runtime::resume_container(g.ctx, id));
        return 0;
      };
    });
  }
}

}  // namespace berth::cli
