// berth compose exec / run: a command in a service's running container (its
// exit status passed through), or a one-off container of the service
// (labelled oneoff=True) after its dependencies are up.
#include <unistd.h>

#include <fcntl.h>

#include <fmt/format.h>

#include "cli/compose_cli.h"
#include "cli/container_run.h"
#include "cli/stream.h"
#include "compose_ops/create_request.h"
#include "compose_ops/naming.h"
#include "compose_ops/plan.h"

namespace berth::cli {

namespace {

std::vector<std::string> env_flags(const std::vector<std::string>& flags) {
  std::vector<std::string> env;
  for (const auto& e : flags) {
    if (e.find('=') != std::string::npos) env.push_back(e);
    else if (const char* v = ::getenv(e.c_str())) env.push_back(e + "=" + v);
  }
  return env;
}

Result<int> exec_in(Cli& cli, const std::string& container, const std::vector<std::string>& cmd, bool tty, bool detach,
                    const std::string& user, const std::string& workdir, const std::vector<std::string>& env,
                    bool privileged) {
  bool interactive = !detach;
  Json body{{"User", user}, {"Privileged", privileged}, {"Tty", tty}, {"AttachStdin", interactive},
            {"AttachStdout", !detach}, {"AttachStderr", !detach}, {"Detach", detach}, {"WorkingDir", workdir},
            {"Cmd", cmd}};
  body["Env"] = env.empty() ? Json(nullptr) : Json(env);
  auto size = tty && is_terminal(1) ? terminal_size() : std::nullopt;
  if (size) body["ConsoleSize"] = Json::array({size->first, size->second});
  api::Response r = TRY(cli.post("/containers/" + url_encode(container) + "/exec", body));
  Json created = Json::parse(r.body, nullptr, false);
  std::string exec_id = created.is_object() ? created.value("Id", "") : "";
  if (exec_id.empty()) return fail(Errc::Internal, "the daemon's exec answer has no Id");
  Json start{{"Detach", detach}, {"Tty", tty}};
  if (size) start["ConsoleSize"] = Json::array({size->first, size->second});
  if (detach) {
    TRYV(cli.post("/exec/" + exec_id + "/start", start));
    return 0;
  }
  api::Client* c = TRY(cli.client());
  RawTerminal raw;
  if (tty && is_terminal(0)) TRYV(raw.enable(0));
  auto conn = c->hijack("/exec/" + exec_id + "/start", start.dump());
  if (!conn) return std::unexpected(Error{conn.error().code, 0, "Error response from daemon: " + conn.error().message});
  PumpOptions pump{.tty = tty, .attach_stdin = interactive};
  if (tty && is_terminal(1)) {
    pump.resize_path = "/exec/" + exec_id + "/resize";
    send_resize(cli, pump.resize_path);
  }
  TRY(pump_streams(cli, *conn, pump));
  raw.restore();
  Json inspect = TRY(cli.get_json("/exec/" + exec_id + "/json"));
  const Json& code = inspect["ExitCode"];
  return code.is_number() ? code.get<int>() : 0;
}

std::string random_hex() {
  unsigned char b[6] = {};
  int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::read(fd, b, sizeof b);
    ::close(fd);
  }
  std::string s;
  for (unsigned char c : b) s += fmt::format("{:02x}", c);
  return s;
}

}  // namespace

void add_compose_exec_run(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals) {
  Cli& cli = inv.cli;
  if (inv.wants(group, "exec")) {
    struct O {
      std::vector<std::string> env;
      bool detach = false, no_tty = false, privileged = false, interactive = true;
      std::string user, workdir;
      int64_t index = 1;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "exec", "[OPTIONS] SERVICE COMMAND [ARGS...]",
                                "Execute a command in a running container", nullptr, {}, [] { return Result<int>(0); });
    app->prefix_command();
    add_bool(app, "-d,--detach", o->detach, "Detached mode: Run command in the background");
    add_list(app, "-e,--env", o->env, "Set environment variables", "stringArray");
    add_bool(app, "-i,--interactive", o->interactive, "Keep STDIN open even if not attached (default true)");
    add_bool(app, "-T,--no-TTY", o->no_tty, "Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY.");
    add_bool(app, "--privileged", o->privileged, "Give extended privileges to the process");
    add_string(app, "-u,--user", o->user, "Run the command as this user");
    add_string(app, "-w,--workdir", o->workdir, "Path to workdir directory for this command");
    add_int(app, "--index", o->index, "Index of the container if service has multiple replicas");
    app->callback([&inv, &cli, o, app, globals] {
      std::vector<std::string> rest = app->remaining();
      inv.action = [&cli, o, rest, globals]() -> Result<int> {
        if (rest.size() < 2) {
          errf("berth: 'berth compose exec' requires at least 2 arguments\n\nUsage:  berth compose exec [OPTIONS] "
               "SERVICE COMMAND [ARGS...]\n\nSee 'berth compose exec --help' for more information\n");
          return 1;
        }
        ComposeSession s = TRY(open_compose_session(cli, *globals));
        if (!s.project.services.contains(rest[0])) return fail(Errc::NotFound, "no such service: " + rest[0]);
        std::optional<compose_ops::ContainerInfo> target;
        for (auto& c : TRY(s.engine->list_containers(s.project.name)))
          if (!c.oneoff() && c.service() == rest[0] && c.number() == o->index && c.running()) target = c;
        if (!target) return fail(Errc::NotFound, fmt::format("service \"{}\" is not running", rest[0]));
        bool tty = !o->no_tty && !o->detach && is_terminal(0);
        return exec_in(cli, target->id, std::vector<std::string>(rest.begin() + 1, rest.end()), tty, o->detach, o->user,
                       o->workdir, env_flags(o->env), o->privileged);
      };
    });
  }
  if (inv.wants(group, "attach")) {
    struct O {
      std::vector<std::string> args;
      int64_t index = 1;
      bool no_stdin = false, sig_proxy = true;
      std::string detach_keys;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "attach", "[OPTIONS] SERVICE",
                                "Attach local standard input, output, and error streams to a service's running container",
                                &o->args, {1, 1}, [&cli, o, globals]() -> Result<int> {
      ComposeSession s = TRY(open_compose_session(cli, *globals));
      const std::string& service = o->args[0];
      if (!s.project.services.contains(service)) return fail(Errc::NotFound, "no such service: " + service);
      for (const auto& c : TRY(s.engine->list_containers(s.project.name)))
        if (!c.oneoff() && c.service() == service && c.number() == o->index)
          return attach_running(cli, c.id, o->no_stdin, o->sig_proxy, o->detach_keys);
      return fail(Errc::NotFound, fmt::format("service \"{}\" has no container with index {}", service, o->index));
    });
    add_string(app, "--detach-keys", o->detach_keys, "Override the key sequence for detaching from a container.");
    add_int(app, "--index", o->index, "index of the container if service has multiple replicas.");
    add_bool(app, "--no-stdin", o->no_stdin, "Do not attach STDIN");
    add_bool(app, "--sig-proxy", o->sig_proxy, "Proxy all received signals to the process");
  }
  if (inv.wants(group, "run")) {
    struct O {
      std::vector<std::string> env;
      bool rm = false, detach = false, no_deps = false, no_tty = false, service_ports = false, build = false;
      bool entrypoint_set = false;
      std::string entrypoint, name, user, workdir;
    };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, group, "run", "[OPTIONS] SERVICE [COMMAND] [ARGS...]",
                                "Run a one-off command on a service", nullptr, {}, [] { return Result<int>(0); });
    app->prefix_command();
    add_bool(app, "--rm", o->rm, "Automatically remove the container when it exits");
    add_bool(app, "-d,--detach", o->detach, "Run container in background and print container ID");
    add_list(app, "-e,--env", o->env, "Set environment variables", "stringArray");
    CLI::Option* ep = add_string(app, "--entrypoint", o->entrypoint, "Override the entrypoint of the image");
    add_bool(app, "--no-deps", o->no_deps, "Don't start linked services");
    add_bool(app, "-T,--no-TTY", o->no_tty, "Disable pseudo-TTY allocation (default: auto-detected)");
    add_bool(app, "-P,--service-ports", o->service_ports, "Run command with all service's ports enabled and mapped to the host");
    add_bool(app, "--build", o->build, "Build image before starting container");
    add_string(app, "--name", o->name, "Assign a name to the container");
    add_string(app, "-u,--user", o->user, "Run as specified username or uid");
    add_string(app, "-w,--workdir", o->workdir, "Working directory inside the container");
    app->callback([&inv, &cli, o, app, ep, globals] {
      std::vector<std::string> rest = app->remaining();
      o->entrypoint_set = ep->count() > 0;
      inv.action = [&cli, o, rest, globals]() -> Result<int> {
        if (rest.empty()) {
          errf("berth: 'berth compose run' requires at least 1 argument\n\nUsage:  berth compose run [OPTIONS] "
               "SERVICE [COMMAND] [ARGS...]\n\nSee 'berth compose run --help' for more information\n");
          return 1;
        }
        ComposeSession s = TRY(open_compose_session(cli, *globals));
        const std::string& name = rest[0];
        if (!s.project.services.contains(name)) return fail(Errc::NotFound, "no such service: " + name);
        compose::Service service = s.project.services.at(name);
        if (!o->user.empty()) service.user = o->user;
        if (!o->workdir.empty()) service.working_dir = o->workdir;

        // The networks, volumes and (unless --no-deps) the dependencies, as `up` would make them.
        compose_ops::UpRequest request{.services = {name}, .with_dependencies = !o->no_deps};
        std::set<std::string> selected = TRY(compose_ops::select_services(s.project, {name}, !o->no_deps));
        compose_ops::Observed observed = TRY(s.executor->observe(true));
        TRYV(s.executor->ensure_images(selected, {.build = o->build}, observed));
        compose_ops::UpPlan plan = TRY(compose_ops::plan_up(s.project, observed, request));
        plan.steps.erase(name);
        for (auto& level : plan.levels) std::erase(level, name);
        std::erase_if(plan.levels, [](const auto& l) { return l.empty(); });
        TRYV(s.executor->apply_up(plan, {}));
        if (!o->no_deps) TRYV(s.executor->wait_dependencies(service));

        bool tty = !o->no_tty && !o->detach && is_terminal(0);
        compose_ops::CreateOptions co{.number = 1, .oneoff = true};
        co.name = o->name.empty() ? compose_ops::oneoff_container_name(s.project, name, random_hex()) : o->name;
        if (rest.size() > 1) co.command = std::vector<std::string>(rest.begin() + 1, rest.end());
        if (o->entrypoint_set) co.entrypoint = o->entrypoint;
        co.extra_env = env_flags(o->env);
        co.tty = tty;
        co.stdin_open = !o->detach;
        co.auto_remove = o->rm;
        co.no_ports = !o->service_ports;
        if (auto it = observed.image_ids.find(name); it != observed.image_ids.end()) co.image_id = it->second;
        compose_ops::ContainerCreate create = TRY(compose_ops::build_container_create(s.project, service, co));
        if (!o->detach) {  // attached as `docker run -i` is: stdin closes with ours
          for (const char* k : {"AttachStdin", "AttachStdout", "AttachStderr", "StdinOnce"}) create.body[k] = true;
        }
        std::string id = TRY(s.engine->create_container(create.name, create.body));
        for (const auto& extra : create.connect_after) TRYV(s.engine->connect_network(extra.network, id, extra.endpoint));
        if (o->detach) {
          TRYV(s.engine->start_container(id));
          outf("{}\n", create.name);
          return 0;
        }
        AttachPlan attach{.id = id, .tty = tty, .stdin = true, .auto_remove = o->rm};
        return attach_and_start(cli, attach);
      };
    });
  }
}

}  // namespace berth::cli
