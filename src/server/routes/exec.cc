// /containers/{id}/exec and /exec/...: docker exec over backend::ExecBackend.
#include "dockerapi/exec_json.h"
#include "dockerapi/field_reader.h"
#include "server/routes/params.h"
#include "server/routes/routes.h"

namespace berth::server {
namespace {

using backend::ExecBackend;

Result<void> create(ExecBackend& b, Request& req, ResponseWriter& w) {
  auto spec = TRY(dockerapi::parse_exec_create(TRY(req.json_body())));
  auto id = TRY(b.exec_create(req.params[0], spec));
  return w.json(201, {{"Id", id}});
}

Result<void> start(ExecBackend& b, Request& req, ResponseWriter& w) {
  auto body = TRY(req.json_body());
  auto r = TRY(dockerapi::FieldReader::of(body, "ExecStartConfig"));
  bool detach = TRY(r.boolean("Detach"));
  std::optional<bool> tty = TRY(r.opt_bool("Tty"));
  auto info = TRY(b.exec_inspect(req.params[0]));
  if (info.running || info.exit_code)
    return fail(Errc::Conflict, "Error: Exec command " + req.params[0] + " is already running");
  if (detach) {
    TRYV(b.exec_start(req.params[0], true, tty, UniqueFd(), ""));
    return no_content(w, 200);
  }
  bool t = tty.value_or(info.spec.tty);
  auto h = TRY(w.hijack(t || req.api_minor < 42 ? "application/vnd.docker.raw-stream"
                                                 : "application/vnd.docker.multiplexed-stream"));
  return b.exec_start(req.params[0], false, tty, std::move(h.fd), std::move(h.buffered));
}

Result<void> resize(ExecBackend& b, Request& req, ResponseWriter& w) {
  auto h = TRY(int_param(req, "h")).value_or(0), wd = TRY(int_param(req, "w")).value_or(0);
  if (h < 0 || wd < 0) return fail(Errc::InvalidArgument, "invalid terminal size " + std::to_string(h) + "x" + std::to_string(wd));
  TRYV(b.exec_resize(req.params[0], static_cast<unsigned>(h), static_cast<unsigned>(wd)));
  return no_content(w, 200);
}

}  // namespace

void add_exec_routes(Router& r, ExecBackend& b) {
  r.add("POST", "/containers/{id}/exec", [&b](Request& q, ResponseWriter& w) { return create(b, q, w); });
  r.add("POST", "/exec/{id}/start", [&b](Request& q, ResponseWriter& w) { return start(b, q, w); });
  r.add("GET", "/exec/{id}/json", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    return w.json(200, dockerapi::render_exec(TRY(b.exec_inspect(q.params[0]))));
  });
  r.add("POST", "/exec/{id}/resize", [&b](Request& q, ResponseWriter& w) { return resize(b, q, w); });
}

}  // namespace berth::server
