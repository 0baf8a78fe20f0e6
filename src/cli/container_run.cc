// run, create, and the attach/start/wait dance they share with start -a and attach.
#include "cli/container_run.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/exit_status.h"
#include "cli/command.h"
#include "cli/connection.h"
#include "cli/pull.h"
#include "cli/run_flags.h"
#include "cli/start_status.h"
#include "cli/stream.h"

namespace berth::cli {

namespace {

// The exit status of a container whose start the daemon refused (start_status.h):
// from the pending wait?condition=removed when it removes itself, else from inspect.
int failed_start_status(Cli& cli, const std::string& id, PendingRequest* removal_wait, const Error& refusal) {
  std::optional<int> recorded;
  if (removal_wait) {
    auto answer = removal_wait->finish();
    auto status = answer ? wait_answer_status(*answer) : Result<int>(std::unexpected(answer.error()));
    if (status && *status != 0) recorded = *status;
  } else if (auto c = cli.get_json("/containers/" + url_encode(id) + "/json")) {
    recorded = recorded_exit_code(*c);
  }
  return refused_start_status(recorded, refusal);
}

std::string image_with_tag(const std::string& image) {
  // The familiar name docker prints: "busybox" -> "busybox:latest".
  size_t slash = image.rfind('/');
  std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
  if (last.find(':') != std::string::npos || image.find('@') != std::string::npos) return image;
  return image + ":latest";
}

// docker's "berth: <error>\n\nRun 'berth run --help'...", on stderr.
void print_refusal(const std::string& cmd, const Error& e) {
  errf("berth: {}\n\nRun 'berth {} --help' for more information\n", e.str(), cmd);
}

// The engine refused before the command could run (bad flag, no image, name in use, ...).
int refuse(const std::string& cmd, const Error& e) {
  print_refusal(cmd, e);
  return kExitRefused;
}

Result<std::string> create_container(Cli& cli, RunOptions& o, bool detached) {
  if (!o.cidfile.empty()) {
    struct stat st;
    if (::stat(o.cidfile.c_str(), &st) == 0) {
      return fail(Errc::AlreadyExists, fmt::format("container ID file found, make sure the other container isn't "
                                                   "running or delete {}", o.cidfile));
    }
  }
  if (o.pull != "missing" && o.pull != "never" && o.pull != "always") {
    return fail(Errc::InvalidArgument, fmt::format("invalid pull option: '{}': must be one of \"always\", \"missing\" or \"never\"", o.pull));
  }
  if (o.pull == "always") TRYV(pull_image(cli, image_with_tag(o.image), o.platform, o.quiet, 2));
  if (o.tty && is_terminal(1)) o.console_size = terminal_size();
  CreateRequest req = TRY(build_create_request(o, detached, process_environment()));
  api::Client* c = TRY(cli.client());
  api::Response r = TRY(c->request("POST", "/containers/create" + req.query,
                                   req.body.dump(-1, ' ', false, Json::error_handler_t::replace)));
  if (r.status == 404 && o.pull == "missing") {
    // Create answers 404 only for the image: pull it (progress to stderr, as docker) and create again.
    errf("Unable to find image '{}' locally\n", image_with_tag(o.image));
    TRYV(pull_image(cli, image_with_tag(o.image), o.platform, o.quiet, 2));
    r = TRY(c->request("POST", "/containers/create" + req.query,
                       req.body.dump(-1, ' ', false, Json::error_handler_t::replace)));
  }
  TRYV(check(r));
  Json j = Json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("Id")) return fail(Errc::Internal, "the daemon's create answer has no Id");
  if (j.contains("Warnings") && j["Warnings"].is_array()) {
    for (const auto& w : j["Warnings"]) errf("WARNING: {}\n", w.get<std::string>());
  }
  std::string id = j["Id"].get<std::string>();
  if (!o.cidfile.empty()) {
    int fd = ::open(o.cidfile.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail_errno(fmt::format("failed to create the container ID file {}", o.cidfile));
    bool ok = write_all(fd, id);
    ::close(fd);
    if (!ok) return fail_errno(fmt::format("failed to write the container ID to {}", o.cidfile));
  }
  return id;
}

Result<int> run_container(Cli& cli, RunOptions& o) {
  if (!o.detach && o.interactive && o.tty && !is_terminal(0)) {
    return fail(Errc::InvalidArgument, "the input device is not a TTY");
  }
  if (!o.detach_keys.empty()) TRYV(parse_detach_keys(o.detach_keys));
  std::string id = TRY(create_container(cli, o, o.detach));
  if (o.detach) {
    api::Client* c = TRY(cli.client());
    // --rm: the container is gone once its start failed; its status comes with the removal.
    std::optional<PendingRequest> removal;
    if (o.rm) {
      removal = TRY(PendingRequest::send(resolve_host(cli.global.host), c->api_minor(), "POST",
                                         fmt::format("/containers/{}/wait?condition=removed", id)));
    }
    outf("{}\n", id);  // before the start, as docker: a refused start still names the container
    api::Response r = TRY(c->request("POST", "/containers/" + id + "/start"));
    if (r.status >= 400) {
      Error e = daemon_error(r);
      print_refusal("run", e);
      return failed_start_status(cli, id, removal ? &*removal : nullptr, e);
    }
    return 0;
  }
  AttachPlan plan{.id = id, .tty = o.tty, .stdin = o.interactive, .auto_remove = o.rm,
                  .sig_proxy = o.sig_proxy, .detach_keys = o.detach_keys};
  if (!o.attach.empty()) {
    plan.stdout = plan.stderr = false;
    for (auto a : o.attach) {
      for (char& ch : a) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      plan.stdin |= a == "stdin";
      plan.stdout |= a == "stdout";
      plan.stderr |= a == "stderr";
    }
  }
  std::optional<int> refused_status;
  auto rc = attach_and_start(cli, plan, &refused_status);
  if (!rc && refused_status) {
    print_refusal("run", rc.error());
    return *refused_status;
  }
  return rc;
}

}  // namespace

Result<int> attach_and_start(Cli& cli, const AttachPlan& plan, std::optional<int>* refused_status) {
  api::Client* c = TRY(cli.client());
  TRYV(c->negotiate());
  std::string q = fmt::format("/containers/{}/attach?stream=1{}{}{}", plan.id, plan.stdin ? "&stdin=1" : "",
                              plan.stdout ? "&stdout=1" : "", plan.stderr ? "&stderr=1" : "");
  if (!plan.detach_keys.empty()) q += "&detachKeys=" + url_encode(plan.detach_keys);
  RawTerminal raw;
  if (plan.tty && plan.stdin && is_terminal(0)) TRYV(raw.enable(0));
  auto conn = c->hijack(q, "");
  if (!conn) return std::unexpected(Error{conn.error().code, 0, "Error response from daemon: " + conn.error().message});
  // Sent before start, read when the output ends: the exit cannot slip between.
  const char* condition = !plan.start ? "not-running" : plan.auto_remove ? "removed" : "next-exit";
  PendingRequest wait = TRY(PendingRequest::send(resolve_host(cli.global.host), c->api_minor(), "POST",
                                                 fmt::format("/containers/{}/wait?condition={}", plan.id, condition)));
  if (plan.start) {
    api::Response r = TRY(c->request("POST", "/containers/" + plan.id + "/start"));
    if (r.status >= 400) {
      Error e = daemon_error(r);
      if (refused_status) *refused_status = failed_start_status(cli, plan.id, plan.auto_remove ? &wait : nullptr, e);
      return std::unexpected(std::move(e));
    }
  }
  PumpOptions pump{.tty = plan.tty, .attach_stdin = plan.stdin};
  if (!plan.detach_keys.empty()) pump.detach_keys = TRY(parse_detach_keys(plan.detach_keys));
  if (plan.tty && is_terminal(1)) {
    pump.resize_path = "/containers/" + plan.id + "/resize";
    send_resize(cli, pump.resize_path);
  }
  if (plan.sig_proxy && !plan.tty) pump.kill_path = "/containers/" + plan.id + "/kill";
  PumpEnd end = TRY(pump_streams(cli, *conn, pump));
  raw.restore();
  if (end == PumpEnd::Detached) return 0;
  return wait_answer_status(TRY(wait.finish()));
}

void add_run_commands(Invocation& inv, CLI::App* parent) {
  if (inv.wants(parent, "run")) {
    auto o = std::make_shared<RunOptions>();
    CLI::App* app = add_command(inv, parent, "run", "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                                "Create and run a new container from an image", nullptr, {},
                                [] { return Result<int>(0); });
    add_run_flags(app, *o, true);
    app->callback([&inv, o, app] {
      take_run_positionals(app, *o);
      inv.action = [&inv, o]() -> Result<int> {
        if (o->image.empty()) {
          errf("berth: 'berth run' requires at least 1 argument\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] "
               "[ARG...]\n\nSee 'berth run --help' for more information\n");
          return kExitRefused;
        }
        auto rc = run_container(inv.cli, *o);
        if (!rc) return refuse("run", rc.error());
        return *rc;
      };
    });
  }
  if (inv.wants(parent, "create")) {
    auto o = std::make_shared<RunOptions>();
    CLI::App* app = add_command(inv, parent, "create", "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                                "Create a new container", nullptr, {}, [] { return Result<int>(0); });
    add_run_flags(app, *o, false);
    app->callback([&inv, o, app] {
      take_run_positionals(app, *o);
      inv.action = [&inv, o]() -> Result<int> {
        if (o->image.empty()) {
          errf("berth: 'berth create' requires at least 1 argument\n\nUsage:  berth create [OPTIONS] IMAGE "
               "[COMMAND] [ARG...]\n\nSee 'berth create --help' for more information\n");
          return kExitRefused;
        }
        auto id = create_container(inv.cli, *o, false);
        if (!id) return refuse("create", id.error());
        outf("{}\n", *id);
        return 0;
      };
    });
  }
}

}  // namespace berth::cli
