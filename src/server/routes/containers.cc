// /containers/... and /commit: Docker's container endpoints over
// backend::ContainerBackend.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "dockerapi/container_create.h"
#include "dockerapi/container_json.h"
#include "dockerapi/stats_json.h"
#include "server/routes/params.h"
#include "server/routes/routes.h"

namespace berth::server {
namespace {

using backend::ContainerBackend;

constexpr const char* kRaw = "application/vnd.docker.raw-stream";
constexpr const char* kMux = "application/vnd.docker.multiplexed-stream";

Result<std::string> path_param(const Request& req) {
  auto path = req.q("path");
  if (!path || path->empty()) return fail(Errc::InvalidArgument, "Bad parameter: path cannot be empty");
  return *path;
}

Result<void> create(ContainerBackend& b, Request& req, ResponseWriter& w) {
  auto spec = TRY(dockerapi::parse_create_body(TRY(req.json_body())));
  auto created = TRY(b.create(req.q("name").value_or(""), spec));
  return w.json(201, {{"Id", created.id}, {"Warnings", created.warnings}});
}

Result<backend::WaitCondition> wait_condition(const std::string& text) {
  if (text.empty() || text == "not-running") return backend::WaitCondition::NotRunning;
  if (text == "next-exit") return backend::WaitCondition::NextExit;
  if (text == "removed") return backend::WaitCondition::Removed;
  return fail(Errc::InvalidArgument, "invalid condition: \"" + text + "\"");
}

Result<void> wait(ContainerBackend& b, Request& req, ResponseWriter& w) {
  auto condition = TRY(wait_condition(req.q("condition").value_or("")));
  bool streaming = false;
  auto r = b.wait(req.params[0], condition, [&] {
    // The client waits for these headers before it starts the container.
    streaming = w.begin_stream(200, "application/json").has_value();
  });
  if (!r) {
    if (!streaming) return std::unexpected(r.error());
    (void)w.write_chunk(nlohmann::json{{"StatusCode", 255}, {"Error", {{"Message", r.error().message}}}}.dump() + "\n");
    return w.end_stream();
  }
  nlohmann::json error = r->error.empty() ? nlohmann::json(nullptr) : nlohmann::json{{"Message", r->error}};
  (void)w.write_chunk(nlohmann::json{{"StatusCode", r->status_code}, {"Error", error}}.dump() + "\n");
  return w.end_stream();
}

Result<void> attach(ContainerBackend& b, Request& req, ResponseWriter& w) {
  bool tty = TRY(b.has_tty(req.params[0]));
  backend::AttachOptions o;
  o.stream = req.q_bool("stream");
  o.logs = req.q_bool("logs");
  o.stdin = req.q_bool("stdin");
  o.stdout = req.q_bool("stdout");
  o.stderr = req.q_bool("stderr");
  o.detach_keys = req.q("detachKeys").value_or("");
  auto h = TRY(w.hijack(tty || req.api_minor < 42 ? kRaw : kMux));
  return b.attach(req.params[0], o, std::move(h.fd), std::move(h.buffered));
}

Result<void> logs(ContainerBackend& b, Request& req, ResponseWriter& w) {
  backend::LogsOptions o;
  o.follow = req.q_bool("follow");
  o.stdout = req.q_bool("stdout");
  o.stderr = req.q_bool("stderr");
  o.timestamps = req.q_bool("timestamps");
  o.since_ns = TRY(unix_time_param(req, "since", true));
  o.until_ns = TRY(unix_time_param(req, "until", true));
  if (auto t = req.q("tail"); t && *t != "all" && !t->empty()) {
    auto n = TRY(int_param(req, "tail"));
    o.tail = static_cast<int>(*n);
  }
  bool tty = TRY(b.has_tty(req.params[0]));
  if (!o.stdout && !o.stderr) return fail(Errc::InvalidArgument, "Bad parameters: you must choose at least one stream");
  TRYV(w.begin_stream(200, tty || req.api_minor < 42 ? kRaw : kMux));
  (void)b.logs(req.params[0], o, w.client_fd(), [&](std::string_view data) { return w.write_chunk(data).has_value(); });
  return w.end_stream();
}

// Samples come from the daemon's shared sampler with the previous one as the
// base of rates, so even stream=false answers at once (dockerd waits for a
// second sample). one-shot keeps Docker's meaning: no base (precpu empty).
Result<void> stats(ContainerBackend& b, Request& req, ResponseWriter& w) {
  bool stream = req.q_bool("stream", true);
  if (!stream) {
    auto s = TRY(b.stats(req.params[0]));
    bool one_shot = req.q_bool("one-shot");
    return w.json(200, dockerapi::render_stats(s.current, one_shot || !s.current.running ? nullptr : &s.previous));
  }
  auto hold = b.hold_stats();  // the sampler samples every interval while this stream lasts
  auto s = TRY(b.stats(req.params[0]));
  TRYV(w.begin_stream(200, "application/json"));
  for (;;) {
    if (!w.write_chunk(dockerapi::render_stats(s.current, s.current.running ? &s.previous : nullptr).dump() + "\n"))
      break;
    auto next = b.next_stats(req.params[0], s.seq);
    pollfd p{w.client_fd(), POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) > 0) break;  // the client left
    if (!next) break;
    s = std::move(*next);
  }
  return w.end_stream();
}

Result<void> export_rootfs(ContainerBackend& b, Request& req, ResponseWriter& w) {
  TRY(b.has_tty(req.params[0]));  // exists: checked before any header
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("creating a pipe for the export");
  UniqueFd rd(p[0]), wr(p[1]);
  Result<void> result;
  std::thread producer([&] {
    result = b.export_rootfs(req.params[0], wr.get());
    wr.reset();
  });
  bool ok = w.begin_stream(200, "application/x-tar").has_value();
  std::vector<char> buf(256 * 1024);
  for (;;) {
    ssize_t n = ::read(rd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (ok && !w.write_chunk(std::string_view(buf.data(), static_cast<size_t>(n)))) ok = false;  // drain for the producer
  }
  producer.join();
  if (ok) return w.end_stream();
  return result;
}

Result<void> archive_head(ContainerBackend& b, Request& req, ResponseWriter& w) {
  auto st = TRY(b.archive_stat(req.params[0], TRY(path_param(req))));
  return w.send(200, "application/x-tar", "", {{"X-Docker-Container-Path-Stat", st}});
}

Result<void> archive_get(ContainerBackend& b, Request& req, ResponseWriter& w) {
  auto path = TRY(path_param(req));
  bool started = false;
  auto r = b.archive_get(req.params[0], path, [&](std::string_view data) -> Result<void> {
    if (!started) {
      // The first piece is the stat header's value.
      started = true;
      return w.begin_stream(200, "application/x-tar", {{"X-Docker-Container-Path-Stat", std::string(data)}});
    }
    return w.write_chunk(data);
  });
  if (!started) return r;
  return w.end_stream();
}

Result<void> archive_put(ContainerBackend& b, Request& req, ResponseWriter& w) {
  auto path = TRY(path_param(req));
  TRYV(b.archive_put(req.params[0], path, req.q_bool("noOverwriteDirNonDir"), req.q_bool("copyUIDGID"), req.read_some));
  return no_content(w, 200);
}

Result<void> commit(ContainerBackend& b, Request& req, ResponseWriter& w) {
  backend::CommitRequest c;
  c.container = req.q("container").value_or("");
  c.repo = req.q("repo").value_or("");
  c.tag = req.q("tag").value_or("");
  c.comment = req.q("comment").value_or("");
  c.author = req.q("author").value_or("");
  c.pause = req.q_bool("pause", true);
  for (auto [it, end] = req.query.equal_range("changes"); it != end; ++it)
    if (!it->second.empty()) c.changes.push_back(it->second);
  auto body = TRY(req.json_body());
  if (!body.empty()) c.config = TRY(dockerapi::parse_config(TRY(dockerapi::FieldReader::of(body, ""))));
  auto id = TRY(b.commit(c));
  return w.json(201, {{"Id", id}});
}

Result<void> update(ContainerBackend& b, Request& req, ResponseWriter& w) {
  auto body = TRY(req.json_body());
  auto r = TRY(dockerapi::FieldReader::of(body, "UpdateConfig"));
  auto resources = TRY(dockerapi::parse_resources(r));
  std::optional<model::RestartPolicy> restart;
  if (r.has("RestartPolicy")) {
    auto policy = TRY(dockerapi::parse_restart_policy(TRY(r.object("RestartPolicy"))));
    if (!TRY(TRY(r.object("RestartPolicy")).string("Name")).empty()) restart = policy;
  }
  auto warnings = TRY(b.update(req.params[0], resources, restart));
  return w.json(200, {{"Warnings", warnings}});
}

Result<void> list(ContainerBackend& b, Request& req, ResponseWriter& w) {
  model::ListOptions o;
  o.all = req.q_bool("all");
  o.limit = static_cast<int>(TRY(int_param(req, "limit")).value_or(-1));
  o.size = req.q_bool("size");
  o.filters = TRY(filters_param(req));
  int64_t now = std::time(nullptr);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : TRY(b.list(o))) out.push_back(dockerapi::render_summary(c, now));
  return w.json(200, out);
}

Result<void> prune(ContainerBackend& b, Request& req, ResponseWriter& w) {
  auto report = TRY(b.prune(TRY(filters_param(req))));
  return w.json(200, {{"ContainersDeleted", report.deleted.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.deleted)},
                      {"SpaceReclaimed", report.space_reclaimed}});
}

Result<void> top(ContainerBackend& b, Request& req, ResponseWriter& w) {
  auto table = TRY(b.top(req.params[0], req.q("ps_args").value_or("")));
  return w.json(200, {{"Titles", table.titles}, {"Processes", table.processes}});
}

Result<void> changes(ContainerBackend& b, Request& req, ResponseWriter& w) {
  auto list = TRY(b.changes(req.params[0]));
  if (list.empty()) return w.json(200, nullptr);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : list) out.push_back({{"Path", c.path}, {"Kind", static_cast<int>(c.kind)}});
  return w.json(200, out);
}

Result<void> resize(ContainerBackend& b, Request& req, ResponseWriter& w) {
  auto h = TRY(int_param(req, "h")).value_or(0), wd = TRY(int_param(req, "w")).value_or(0);
  if (h < 0 || wd < 0) return fail(Errc::InvalidArgument, "invalid terminal size " + std::to_string(h) + "x" + std::to_string(wd));
  TRYV(b.resize(req.params[0], static_cast<unsigned>(h), static_cast<unsigned>(wd)));
  return no_content(w, 200);
}

}  // namespace

void add_container_routes(Router& r, ContainerBackend& b) {
  r.add("POST", "/containers/create", [&b](Request& q, ResponseWriter& w) { return create(b, q, w); });
  r.add("GET", "/containers/json", [&b](Request& q, ResponseWriter& w) { return list(b, q, w); });
  r.add("POST", "/containers/prune", [&b](Request& q, ResponseWriter& w) { return prune(b, q, w); });
  r.add("GET", "/containers/{id}/json", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    return w.json(200, dockerapi::render_inspect(TRY(b.inspect(q.params[0], q.q_bool("size")))));
  });
  r.add("POST", "/containers/{id}/start", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    return no_content(w, TRY(b.start(q.params[0])) ? 204 : 304);
  });
  r.add("POST", "/containers/{id}/stop", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    auto t = TRY(int_param(q, "t"));
    bool stopped = TRY(b.stop(q.params[0], t ? std::optional<int>(static_cast<int>(*t)) : std::nullopt,
                              q.q("signal").value_or("")));
    return no_content(w, stopped ? 204 : 304);
  });
  r.add("POST", "/containers/{id}/restart", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    auto t = TRY(int_param(q, "t"));
    TRYV(b.restart(q.params[0], t ? std::optional<int>(static_cast<int>(*t)) : std::nullopt));
    return no_content(w, 204);
  });
  r.add("POST", "/containers/{id}/kill", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    TRYV(b.kill(q.params[0], q.q("signal").value_or("")));
    return no_content(w, 204);
  });
  r.add("POST", "/containers/{id}/pause", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    TRYV(b.pause(q.params[0]));
    return no_content(w, 204);
  });
  r.add("POST", "/containers/{id}/unpause", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    TRYV(b.unpause(q.params[0]));
    return no_content(w, 204);
  });
  r.add("POST", "/containers/{id}/wait", [&b](Request& q, ResponseWriter& w) { return wait(b, q, w); });
  r.add("DELETE", "/containers/{id}", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    TRYV(b.remove(q.params[0], q.q_bool("force"), q.q_bool("v")));
    return no_content(w, 204);
  });
  r.add("POST", "/containers/{id}/attach", [&b](Request& q, ResponseWriter& w) { return attach(b, q, w); });
  r.add("GET", "/containers/{id}/logs", [&b](Request& q, ResponseWriter& w) { return logs(b, q, w); });
  r.add("POST", "/containers/{id}/resize", [&b](Request& q, ResponseWriter& w) { return resize(b, q, w); });
  r.add("GET", "/containers/{id}/top", [&b](Request& q, ResponseWriter& w) { return top(b, q, w); });
  r.add("GET", "/containers/{id}/stats", [&b](Request& q, ResponseWriter& w) { return stats(b, q, w); });
  r.add("GET", "/containers/{id}/changes", [&b](Request& q, ResponseWriter& w) { return changes(b, q, w); });
  r.add("GET", "/containers/{id}/export", [&b](Request& q, ResponseWriter& w) { return export_rootfs(b, q, w); });
  r.add("HEAD", "/containers/{id}/archive", [&b](Request& q, ResponseWriter& w) { return archive_head(b, q, w); });
  r.add("GET", "/containers/{id}/archive", [&b](Request& q, ResponseWriter& w) { return archive_get(b, q, w); });
  r.add("PUT", "/containers/{id}/archive", [&b](Request& q, ResponseWriter& w) { return archive_put(b, q, w); });
  r.add("POST", "/containers/{id}/rename", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    TRYV(b.rename(q.params[0], q.q("name").value_or("")));
    return no_content(w, 204);
  });
  r.add("POST", "/containers/{id}/update", [&b](Request& q, ResponseWriter& w) { return update(b, q, w); });
  r.add("POST", "/commit", [&b](Request& q, ResponseWriter& w) { return commit(b, q, w); });
}

}  // namespace berth::server
