// Commands that move a container's bytes: logs, attach, exec, export.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/container_run.h"
#include "cli/run_options.h"
#include "cli/stream.h"
#include "cli/units.h"

namespace berth::cli {

// Streams GET `path` into fd `to` (the file of -o, or stdout).
Result<void> download(Cli& cli, const std::string& path, int to) {
  api::Client* c = TRY(cli.client());
  bool write_failed = false;
  api::Response r = TRY(c->stream("GET", path, "", [&](std::string_view data) {
    write_failed = !write_all(to, data);
    return !write_failed;
  }));
  TRYV(check(r));
  if (write_failed) return fail_errno("writing the archive");
  return {};
}

// docker's -o FILE or stdout, refusing a terminal.
Result<int> open_output(const std::string& file, const char* what) {
  if (file.empty()) {
    if (is_terminal(1)) {
      return fail(Errc::InvalidArgument,
                  fmt::format("cowardly refusing to save to a terminal. Use the -o flag or redirect", what));
    }
    return 1;
  }
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail_errno(fmt::format("failed to save {}: unable to create {}", what, file));
  return fd;
}

Result<int> attach_running(Cli& cli, const std::string& ref, bool no_stdin, bool sig_proxy,
                           const std::string& detach_keys) {
  Json c = TRY(cli.get_json("/containers/" + url_encode(ref) + "/json"));
  const Json& state = c["State"];
  if (!state.value("Running", false)) return fail(Errc::Conflict, "You cannot attach to a stopped container, start it first");
  if (state.value("Paused", false)) return fail(Errc::Conflict, "You cannot attach to a paused container, unpause it first");
  bool tty = c["Config"].value("Tty", false);
  if (tty && !no_stdin && c["Config"].value("OpenStdin", false) && !is_terminal(0)) {
    return fail(Errc::InvalidArgument, "the input device is not a TTY");
  }
  AttachPlan plan{.id = c["Id"].get<std::string>(), .tty = tty, .stdin = !no_stdin && c["Config"].value("OpenStdin", false),
                  .sig_proxy = sig_proxy, .start = false, .detach_keys = detach_keys};
  return attach_and_start(cli, plan);
}

void add_io_commands(Invocation& inv, CLI::App* parent) {
  Cli& cli = inv.cli;
  if (inv.wants(parent, "logs")) {
    struct O {
      std::vector<std::string> args;
      bool follow = false, timestamps = false, details = false;
      std::string since, until, tail = "all";
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container",
                                &o->args, {1, 1}, [&cli, o]() -> Result<int> {
      Json c = TRY(cli.get_json("/containers/" + url_encode(o->args[0]) + "/json"));
      bool tty = c.contains("Config") && c["Config"].value("Tty", false);
      std::string q = fmt::format("/containers/{}/logs?stdout=1&stderr=1&tail={}", url_encode(o->args[0]), url_encode(o->tail));
      int64_t now = unix_now();
      if (o->follow) q += "&follow=1";
      if (o->timestamps) q += "&timestamps=1";
      if (o->details) q += "&details=1";
      if (!o->since.empty()) q += "&since=" + url_encode(TRY(timestamp_arg(o->since, now)));
      if (!o->until.empty()) q += "&until=" + url_encode(TRY(timestamp_arg(o->until, now)));
      api::Client* client = TRY(cli.client());
      api::StreamDemux demux;
      api::Response r = TRY(client->stream("GET", q, "", [&](std::string_view data) {
        if (tty) return write_all(1, data);
        bool ok = true;
        demux.feed(data, [&](int stream, std::string_view payload) { ok = write_all(stream == 2 ? 2 : 1, payload) && ok; });
        return ok;
      }));
      TRYV(check(r));
      return 0;
    });
    add_bool(app, "--details", o->details, "Show extra details provided to logs");
    add_bool(app, "-f,--follow", o->follow, "Follow log output");
    add_string(app, "--since", o->since, "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)");
    add_string(app, "-n,--tail", o->tail, "Number of lines to show from the end of the logs (default \"all\")");
    add_bool(app, "-t,--timestamps", o->timestamps, "Show timestamps");
    add_string(app, "--until", o->until, "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)");
  }
  if (inv.wants(parent, "attach")) {
    struct O { std::vector<std::string> args; bool no_stdin = false, sig_proxy = true; std::string detach_keys; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "attach", "[OPTIONS] CONTAINER",
                                "Attach local standard input, output, and error streams to a running container",
                                &o->args, {1, 1}, [&cli, o]() -> Result<int> {
      return attach_running(cli, o->args[0], o->no_stdin, o->sig_proxy, o->detach_keys);
    });
    add_string(app, "--detach-keys", o->detach_keys, "Override the key sequence for detaching a container");
    add_bool(app, "--no-stdin", o->no_stdin, "Do not attach STDIN");
    add_bool(app, "--sig-proxy", o->sig_proxy, "Proxy all received signals to the process (default true)");
  }
  if (inv.wants(parent, "exec")) {
    struct O {
      std::vector<std::string> env, env_files;
      bool detach = false, interactive = false, tty = false, privileged = false;
      std::string workdir, user, detach_keys;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "exec", "[OPTIONS] CONTAINER COMMAND [ARG...]",
                                "Execute a command in a running container", nullptr, {}, [] { return Result<int>(0); });
    app->prefix_command();
    add_bool(app, "-d,--detach", o->detach, "Detached mode: run command in the background");
    add_string(app, "--detach-keys", o->detach_keys, "Override the key sequence for detaching a container");
    add_list(app, "-e,--env", o->env, "Set environment variables");
    add_list(app, "--env-file", o->env_files, "Read in a file of environment variables");
    add_bool(app, "-i,--interactive", o->interactive, "Keep STDIN open even if not attached");
    add_bool(app, "--privileged", o->privileged, "Give extended privileges to the command");
    add_bool(app, "-t,--tty", o->tty, "Allocate a pseudo-TTY");
    add_string(app, "-u,--user", o->user, "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
    add_string(app, "-w,--workdir", o->workdir, "Working directory inside the container");
    app->callback([&inv, &cli, o, app] {
      std::vector<std::string> rest = app->remaining();
      inv.action = [&cli, o, rest]() -> Result<int> {
        if (rest.size() < 2) {
          errf("berth: 'berth exec' requires at least 2 arguments\n\nUsage:  berth exec [OPTIONS] CONTAINER COMMAND "
               "[ARG...]\n\nSee 'berth exec --help' for more information\n");
          return 1;
        }
        if (o->interactive && o->tty && !o->detach && !is_terminal(0)) {
          return fail(Errc::InvalidArgument, "the input device is not a TTY");
        }
        RunEnvironment env = process_environment();
        std::vector<std::string> env_list;
        for (const auto& f : o->env_files) {
          auto lines = TRY(read_env_file(f, env));
          env_list.insert(env_list.end(), lines.begin(), lines.end());
        }
        for (const auto& e : o->env) {
          if (e.find('=') == std::string::npos) {
            if (auto v = env.getenv(e)) env_list.push_back(e + "=" + *v);
            else env_list.push_back(e);
          } else {
            env_list.push_back(e);
          }
        }
        Json body;
        body["User"] = o->user;
        body["Privileged"] = o->privileged;
        body["Tty"] = o->tty;
        body["AttachStdin"] = o->interactive && !o->detach;
        body["AttachStderr"] = !o->detach;
        body["AttachStdout"] = !o->detach;
        body["Detach"] = o->detach;
        body["DetachKeys"] = o->detach_keys;
        body["Env"] = env_list.empty() ? Json(nullptr) : Json(env_list);
        body["WorkingDir"] = o->workdir;
        body["Cmd"] = std::vector<std::string>(rest.begin() + 1, rest.end());
        auto size = o->tty && is_terminal(1) ? terminal_size() : std::nullopt;
        if (size) body["ConsoleSize"] = Json::array({size->first, size->second});
        api::Response r = TRY(cli.post("/containers/" + url_encode(rest[0]) + "/exec", body));
        Json created = Json::parse(r.body, nullptr, false);
        std::string exec_id = created.is_object() ? created.value("Id", "") : "";
        if (exec_id.empty()) return fail(Errc::Internal, "the daemon's exec answer has no Id");
        Json start{{"Detach", o->detach}, {"Tty", o->tty}};
        if (size) start["ConsoleSize"] = Json::array({size->first, size->second});
        if (o->detach) {
          TRYV(cli.post("/exec/" + exec_id + "/start", start));
          return 0;
        }
        api::Client* c = TRY(cli.client());
        RawTerminal raw;
        if (o->tty && o->interactive && is_terminal(0)) TRYV(raw.enable(0));
        auto conn = c->hijack("/exec/" + exec_id + "/start", start.dump());
        if (!conn) return std::unexpected(Error{conn.error().code, 0, "Error response from daemon: " + conn.error().message});
        PumpOptions pump{.tty = o->tty, .attach_stdin = o->interactive};
        if (!o->detach_keys.empty()) pump.detach_keys = TRY(parse_detach_keys(o->detach_keys));
        if (o->tty && is_terminal(1)) {
          pump.resize_path = "/exec/" + exec_id + "/resize";
          send_resize(cli, pump.resize_path);
        }
        PumpEnd end = TRY(pump_streams(cli, *conn, pump));
        raw.restore();
        if (end == PumpEnd::Detached) return 0;
        Json inspect = TRY(cli.get_json("/exec/" + exec_id + "/json"));
        if (inspect.value("Running", false)) return 0;
        const Json& code = inspect["ExitCode"];
        return code.is_number() ? code.get<int>() : 0;
      };
    });
  }
  if (inv.wants(parent, "export")) {
    struct O { std::vector<std::string> args; std::string output; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "export", "[OPTIONS] CONTAINER",
                                "Export a container's filesystem as a tar archive", &o->args, {1, 1},
                                [&cli, o]() -> Result<int> {
      int fd = TRY(open_output(o->output, "container"));
      auto r = download(cli, "/containers/" + url_encode(o->args[0]) + "/export", fd);
      if (fd != 1) ::close(fd);
      if (!r) return std::unexpected(r.error());
      return 0;
    });
    add_string(app, "-o,--output", o->output, "Write to a file, instead of STDOUT");
  }
}

}  // namespace berth::cli
