// /containers/{id}/exec and /exec/...: docker exec.
#include "server/routes/routes.h"

namespace berth::server {
namespace {

std::vector<std::string> strings(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array())
    for (const auto& v : j[key])
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

void create(engine::Engine& e, Request& req, ResponseWriter& w) {
  auto body = req.json_body();
  if (!body) return (void)w.error(body.error());
  engine::ExecConfig c;
  c.cmd = strings(*body, "Cmd");
  c.env = strings(*body, "Env");
  c.working_dir = body->value("WorkingDir", "");
  c.user = body->value("User", "");
  c.tty = body->value("Tty", false);
  c.attach_stdin = body->value("AttachStdin", false);
  c.attach_stdout = body->value("AttachStdout", false);
  c.attach_stderr = body->value("AttachStderr", false);
  c.privileged = body->value("Privileged", false);
  c.detach_keys = body->value("DetachKeys", "");
  if (c.privileged)
    return (void)w.error(Error{Errc::Unsupported, 0, "exec --privileged is not supported by berthd yet"});
  auto id = e.exec_create(req.params[0], c);
  if (!id) return (void)w.error(id.error());
  (void)w.json(201, {{"Id", *id}});
}

void start(engine::Engine& e, Request& req, ResponseWriter& w) {
  auto body = req.json_body();
  if (!body) return (void)w.error(body.error());
  bool detach = body->value("Detach", false);
  std::optional<bool> tty;
  if (body->contains("Tty") && (*body)["Tty"].is_boolean()) tty = (*body)["Tty"].get<bool>();
  auto info = e.exec_inspect(req.params[0]);
  if (!info) return (void)w.error(info.error());
  if ((*info)["Running"].get<bool>() || !(*info)["ExitCode"].is_null())
    return (void)w.error(Error{Errc::Conflict, 0, "Error: Exec command " + req.params[0] + " is already running"});
  if (detach) {
    auto r = e.exec_start(req.params[0], true, tty, UniqueFd(), "");
    return reply(w, r, 200);
  }
  bool t = tty.value_or((*info)["ProcessConfig"].value("tty", false));
  auto h = w.hijack(t || req.api_minor < 42 ? "application/vnd.docker.raw-stream"
                                            : "application/vnd.docker.multiplexed-stream");
  if (!h) return;
  (void)e.exec_start(req.params[0], false, tty, std::move(h->fd), std::move(h->buffered));
}

}  // namespace

void add_exec_routes(Router& r, engine::Engine& e) {
  r.add("POST", "/containers/{id}/exec", [&e](Request& q, ResponseWriter& w) { create(e, q, w); });
  r.add("POST", "/exec/{id}/start", [&e](Request& q, ResponseWriter& w) { start(e, q, w); });
  r.add("GET", "/exec/{id}/json", [&e](Request& q, ResponseWriter& w) {
    auto res = e.exec_inspect(q.params[0]);
    if (!res) return (void)w.error(res.error());
    (void)w.json(200, *res);
  });
  r.add("POST", "/exec/{id}/resize", [&e](Request& q, ResponseWriter& w) {
    reply(w,
          e.exec_resize(q.params[0], static_cast<int>(q.q_int("h").value_or(0)), static_cast<int>(q.q_int("w").value_or(0))),
          200);
  });
}

}  // namespace berth::server
