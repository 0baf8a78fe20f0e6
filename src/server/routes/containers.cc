// /containers/... : Docker's container endpoints over the engine.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "base/go_time.h"
#include "base/strings.h"
#include "server/routes/routes.h"

namespace berth::server {
namespace {

constexpr const char* kRaw = "application/vnd.docker.raw-stream";
constexpr const char* kMux = "application/vnd.docker.multiplexed-stream";

std::optional<int> q_opt_int(const Request& req, const std::string& key) {
  auto v = req.q_int(key);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<int64_t> q_time_ns(const Request& req, const std::string& key) {
  auto v = req.q(key);
  if (!v || *v == "0") return std::nullopt;
  return go::unix_timestamp_ns(*v);
}

void create(engine::Engine& e, Request& req, ResponseWriter& w) {
  auto body = req.json_body();
  if (!body) return (void)w.error(body.error());
  auto r = e.create(*body, req.q("name").value_or(""));
  if (!r) return (void)w.error(r.error());
  (void)w.json(201, *r);
}

void wait(engine::Engine& e, Request& req, ResponseWriter& w) {
  bool streaming = false;
  auto r = e.wait(req.params[0], req.q("condition").value_or(""), [&] {
    // The client waits for these headers before it starts the container.
    streaming = w.begin_stream(200, "application/json").has_value();
  });
  if (!r) {
    if (!streaming) return (void)w.error(r.error());
    (void)w.write_chunk(nlohmann::json{{"StatusCode", 255}, {"Error", {{"Message", r.error().message}}}}.dump() + "\n");
    (void)w.end_stream();
    return;
  }
  (void)w.write_chunk(nlohmann::json{{"StatusCode", r->status_code}, {"Error", nullptr}}.dump() + "\n");
  (void)w.end_stream();
}

void attach(engine::Engine& e, Request& req, ResponseWriter& w) {
  auto tty = e.is_tty(req.params[0]);
  if (!tty) return (void)w.error(tty.error());
  engine::AttachOptions o;
  o.stream = req.q_bool("stream");
  o.logs = req.q_bool("logs");
  o.stdin = req.q_bool("stdin");
  o.stdout = req.q_bool("stdout");
  o.stderr = req.q_bool("stderr");
  o.detach_keys = req.q("detachKeys").value_or("");
  auto h = w.hijack(*tty || req.api_minor < 42 ? kRaw : kMux);
  if (!h) return;
  (void)e.attach(req.params[0], o, std::move(h->fd), std::move(h->buffered));
}

void logs(engine::Engine& e, Request& req, ResponseWriter& w) {
  engine::Engine::LogsOptions o;
  o.follow = req.q_bool("follow");
  o.stdout = req.q_bool("stdout");
  o.stderr = req.q_bool("stderr");
  o.timestamps = req.q_bool("timestamps");
  o.since_ns = q_time_ns(req, "since");
  o.until_ns = q_time_ns(req, "until");
  if (auto t = req.q("tail"); t && *t != "all" && !t->empty()) {
    auto n = parse_int(*t);
    if (!n) return (void)w.error(Error{Errc::InvalidArgument, 0, "invalid value for tail: " + *t});
    o.tail = static_cast<int>(*n);
  }
  auto tty = e.is_tty(req.params[0]);
  if (!tty) return (void)w.error(tty.error());
  if (!o.stdout && !o.stderr)
    return (void)w.error(Error{Errc::InvalidArgument, 0, "Bad parameters: you must choose at least one stream"});
  if (!w.begin_stream(200, *tty || req.api_minor < 42 ? kRaw : kMux)) return;
  (void)e.logs(req.params[0], o, w.client_fd(), [&](std::string_view data) { return w.write_chunk(data).has_value(); });
  (void)w.end_stream();
}

void stats(engine::Engine& e, Request& req, ResponseWriter& w) {
  bool stream = req.q_bool("stream", true);
  bool one_shot = req.q_bool("one-shot");
  auto first = e.stats_once(req.params[0], nullptr);
  if (!first) return (void)w.error(first.error());
  if (!stream) {
    if (one_shot) return (void)w.json(200, *first);
    // Like dockerd: a second sample a second later, so CPU usage has a base.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto second = e.stats_once(req.params[0], &*first);
    return (void)w.json(200, second ? *second : *first);
  }
  if (!w.begin_stream(200, "application/json")) return;
  nlohmann::json prev = *first;
  if (!w.write_chunk(prev.dump() + "\n")) return;
  for (;;) {
    pollfd p{w.client_fd(), POLLIN | POLLRDHUP, 0};
    int n = ::poll(&p, 1, 1000);  // the stream's one-second period, ended early by the client leaving
    if (n > 0) break;
    auto next = e.stats_once(req.params[0], &prev);
    if (!next) break;
    if (!w.write_chunk(next->dump() + "\n")) break;
    prev = std::move(*next);
  }
  (void)w.end_stream();
}

void export_fs(engine::Engine& e, Request& req, ResponseWriter& w) {
  auto tty = e.is_tty(req.params[0]);  // existence check before any header
  if (!tty) return (void)w.error(tty.error());
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return (void)w.error(Error{Errc::Internal, errno, "creating a pipe for the export"});
  UniqueFd rd(p[0]), wr(p[1]);
  Result<void> result;
  std::thread producer([&] {
    result = e.export_fs(req.params[0], wr.get());
    wr.reset();
  });
  bool ok = w.begin_stream(200, "application/x-tar").has_value();
  std::vector<char> buf(256 * 1024);
  for (;;) {
    ssize_t n = ::read(rd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (ok && !w.write_chunk(std::string_view(buf.data(), n))) ok = false;  // keep draining for the producer
  }
  producer.join();
  if (ok) (void)w.end_stream();
}

void archive_head(engine::Engine& e, Request& req, ResponseWriter& w) {
  auto path = req.q("path");
  if (!path || path->empty()) return (void)w.error(Error{Errc::InvalidArgument, 0, "Bad parameter: path cannot be empty"});
  auto st = e.archive_stat(req.params[0], *path);
  if (!st) return (void)w.error(st.error());
  (void)w.send(200, "application/x-tar", "", {{"X-Docker-Container-Path-Stat", *st}});
}

void archive_get(engine::Engine& e, Request& req, ResponseWriter& w) {
  auto path = req.q("path");
  if (!path || path->empty()) return (void)w.error(Error{Errc::InvalidArgument, 0, "Bad parameter: path cannot be empty"});
  bool started = false;
  auto r = e.archive_get(req.params[0], *path, [&](std::string_view data) -> Result<void> {
    if (!started) {
      // The first piece is the stat header's value.
      started = true;
      return w.begin_stream(200, "application/x-tar", {{"X-Docker-Container-Path-Stat", std::string(data)}});
    }
    return w.write_chunk(data);
  });
  if (!r && !started) return (void)w.error(r.error());
  if (started) (void)w.end_stream();
}

void archive_put(engine::Engine& e, Request& req, ResponseWriter& w) {
  auto path = req.q("path");
  if (!path || path->empty()) return (void)w.error(Error{Errc::InvalidArgument, 0, "Bad parameter: path cannot be empty"});
  auto r = e.archive_put(req.params[0], *path, req.q_bool("noOverwriteDirNonDir"), req.q_bool("copyUIDGID"),
                         req.read_some);
  reply(w, r, 200);
}

void commit(engine::Engine& e, Request& req, ResponseWriter& w) {
  auto body = req.json_body();
  if (!body) return (void)w.error(body.error());
  std::vector<std::string> changes;
  for (auto [it, end] = req.query.equal_range("changes"); it != end; ++it)
    if (!it->second.empty()) changes.push_back(it->second);
  auto r = e.commit(req.q("container").value_or(""), req.q("repo").value_or(""), req.q("tag").value_or(""),
                    req.q("comment").value_or(""), req.q("author").value_or(""), req.q_bool("pause", true), changes,
                    *body);
  if (!r) return (void)w.error(r.error());
  (void)w.json(201, *r);
}

}  // namespace

void reply(ResponseWriter& w, const Result<void>& r, int ok_status) {
  if (!r) return (void)w.error(r.error());
  (void)w.send(ok_status, "", "");
}

nlohmann::json parse_filters(const Request& req) {
  auto f = req.q("filters");
  if (!f || f->empty()) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(*f);
  } catch (const std::exception&) {
    return nlohmann::json::object();
  }
}

void add_container_routes(Router& r, engine::Engine& e) {
  r.add("POST", "/containers/create", [&e](Request& q, ResponseWriter& w) { create(e, q, w); });
  r.add("GET", "/containers/json", [&e](Request& q, ResponseWriter& w) {
    auto res = e.list(q.q_bool("all"), static_cast<int>(q.q_int("limit").value_or(-1)), q.q_bool("size"),
                      parse_filters(q));
    if (!res) return (void)w.error(res.error());
    (void)w.json(200, *res);
  });
  r.add("POST", "/containers/prune", [&e](Request& q, ResponseWriter& w) {
    auto res = e.prune(parse_filters(q));
    if (!res) return (void)w.error(res.error());
    (void)w.json(200, *res);
  });
  r.add("GET", "/containers/{id}/json", [&e](Request& q, ResponseWriter& w) {
    auto res = e.inspect(q.params[0], q.q_bool("size"));
    if (!res) return (void)w.error(res.error());
    (void)w.json(200, *res);
  });
  r.add("POST", "/containers/{id}/start", [&e](Request& q, ResponseWriter& w) {
    auto res = e.start(q.params[0]);
    if (!res) return (void)w.error(res.error());
    (void)w.send(*res ? 204 : 304, "", "");
  });
  r.add("POST", "/containers/{id}/stop", [&e](Request& q, ResponseWriter& w) {
    auto res = e.stop(q.params[0], q_opt_int(q, "t"), q.q("signal"));
    if (!res) return (void)w.error(res.error());
    (void)w.send(*res ? 204 : 304, "", "");
  });
  r.add("POST", "/containers/{id}/restart", [&e](Request& q, ResponseWriter& w) {
    reply(w, e.restart(q.params[0], q_opt_int(q, "t")), 204);
  });
  r.add("POST", "/containers/{id}/kill", [&e](Request& q, ResponseWriter& w) {
    reply(w, e.kill(q.params[0], q.q("signal").value_or("")), 204);
  });
  r.add("POST", "/containers/{id}/pause", [&e](Request& q, ResponseWriter& w) { reply(w, e.pause(q.params[0]), 204); });
  r.add("POST", "/containers/{id}/unpause",
        [&e](Request& q, ResponseWriter& w) { reply(w, e.unpause(q.params[0]), 204); });
  r.add("POST", "/containers/{id}/wait", [&e](Request& q, ResponseWriter& w) { wait(e, q, w); });
  r.add("DELETE", "/containers/{id}", [&e](Request& q, ResponseWriter& w) {
    reply(w, e.remove(q.params[0], q.q_bool("force"), q.q_bool("v")), 204);
  });
  r.add("POST", "/containers/{id}/attach", [&e](Request& q, ResponseWriter& w) { attach(e, q, w); });
  r.add("GET", "/containers/{id}/logs", [&e](Request& q, ResponseWriter& w) { logs(e, q, w); });
  r.add("POST", "/containers/{id}/resize", [&e](Request& q, ResponseWriter& w) {
    reply(w, e.resize(q.params[0], static_cast<int>(q.q_int("h").value_or(0)), static_cast<int>(q.q_int("w").value_or(0))),
          200);
  });
  r.add("GET", "/containers/{id}/top", [&e](Request& q, ResponseWriter& w) {
    auto res = e.top(q.params[0], q.q("ps_args").value_or(""));
    if (!res) return (void)w.error(res.error());
    (void)w.json(200, *res);
  });
  r.add("GET", "/containers/{id}/stats", [&e](Request& q, ResponseWriter& w) { stats(e, q, w); });
  r.add("GET", "/containers/{id}/changes", [&e](Request& q, ResponseWriter& w) {
    auto res = e.changes(q.params[0]);
    if (!res) return (void)w.error(res.error());
    (void)w.json(200, res->empty() ? nlohmann::json(nullptr) : *res);
  });
  r.add("GET", "/containers/{id}/export", [&e](Request& q, ResponseWriter& w) { export_fs(e, q, w); });
  r.add("HEAD", "/containers/{id}/archive", [&e](Request& q, ResponseWriter& w) { archive_head(e, q, w); });
  r.add("GET", "/containers/{id}/archive", [&e](Request& q, ResponseWriter& w) { archive_get(e, q, w); });
  r.add("PUT", "/containers/{id}/archive", [&e](Request& q, ResponseWriter& w) { archive_put(e, q, w); });
  r.add("POST", "/containers/{id}/rename", [&e](Request& q, ResponseWriter& w) {
    reply(w, e.rename(q.params[0], q.q("name").value_or("")), 204);
  });
  r.add("POST", "/containers/{id}/update", [&e](Request& q, ResponseWriter& w) {
    auto body = q.json_body();
    if (!body) return (void)w.error(body.error());
    auto res = e.update(q.params[0], *body);
    if (!res) return (void)w.error(res.error());
    (void)w.json(200, *res);
  });
  r.add("POST", "/commit", [&e](Request& q, ResponseWriter& w) { commit(e, q, w); });
}

}  // namespace berth::server
