#include "ui/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/client.h"
#include "base/log.h"
#include "kubestream/http_upgrade.h"
#include "ui/assets.h"
#include "ui/exec_relay.h"
#include "ui/proxy_rules.h"
#include "ui/tls.h"

namespace berth::ui {

namespace ks = kubestream;
using Json = nlohmann::json;

namespace {

// The page set loads only its own scripts and styles and talks only to its
// origin; no other site may frame it.
constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

struct Listen {
  std::string host;  // as given (for the URL)
  int port = 0;
  bool loopback = false;
  sockaddr_storage sa{};
  socklen_t len = 0;
};

Result<Listen> parse_listen(const std::string& addr) {
  if (addr.empty()) return fail(Errc::InvalidArgument, "--ui-addr is empty: give HOST:PORT, e.g. 127.0.0.1:18601");
  auto bad = [&] {
    return fail(Errc::InvalidArgument, fmt::format("--ui-addr \"{}\": give HOST:PORT, e.g. 127.0.0.1:18601", addr));
  };
  Listen l;
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad();
  l.host = addr.substr(0, colon);
  if (l.host.front() == '[') {
    if (l.host.size() < 3 || l.host.back() != ']') return bad();
    l.host = l.host.substr(1, l.host.size() - 2);
  } else if (l.host.find(':') != std::string::npos) {
    return bad();  // an IPv6 address needs brackets
  }
  std::string port = addr.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return bad();
  l.port = std::stoi(port);
  if (l.port > 65535) return bad();
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  if (int rc = ::getaddrinfo(l.host.c_str(), std::to_string(l.port).c_str(), &hints, &res); rc != 0)
    return fail(Errc::InvalidArgument, fmt::format("--ui-addr \"{}\": {}", addr, gai_strerror(rc)));
  std::memcpy(&l.sa, res->ai_addr, res->ai_addrlen);
  l.len = res->ai_addrlen;
  ::freeaddrinfo(res);
  if (l.sa.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&l.sa);
    l.loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  } else if (l.sa.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&l.sa);
    l.loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
  }
  return l;
}

Result<UniqueFd> connect_upstream(const api::Endpoint& ep) {
  if (ep.kind == api::Endpoint::Kind::Unix) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return fail_errno("socket");
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (ep.path.size() >= sizeof sun.sun_path) return fail(Errc::InvalidArgument, "socket path too long: " + ep.path);
    std::memcpy(sun.sun_path, ep.path.c_str(), ep.path.size() + 1);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) < 0)
      return fail_errno("connecting to berthd at " + ep.path);
    return fd;
  }
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (int rc = ::getaddrinfo(ep.host.c_str(), std::to_string(ep.port).c_str(), &hints, &res); rc != 0)
    return fail(Errc::Unavailable, fmt::format("berthd at {}:{}: {}", ep.host, ep.port, gai_strerror(rc)));
  UniqueFd fd(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int rc = fd ? ::connect(fd.get(), res->ai_addr, res->ai_addrlen) : -1;
  ::freeaddrinfo(res);
  if (rc < 0) return fail_errno(fmt::format("connecting to berthd at {}:{}", ep.host, ep.port));
  return fd;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

void send_json(int fd, int status, const Json& body, Headers extra = {}) {
  std::string text = body.dump();
  std::string reason = status == 200 ? "OK" : status == 204 ? "No Content" : status == 401 ? "Unauthorized"
                       : status == 403 ? "Forbidden" : status == 404 ? "Not Found" : status == 400 ? "Bad Request"
                       : status == 421 ? "Misdirected Request" : status == 502 ? "Bad Gateway" : "Error";
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", status, reason);
  for (const auto& [k, v] : extra) out += k + ": " + v + "\r\n";
  out += "Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n";
  out += fmt::format("Content-Length: {}\r\nConnection: close\r\n\r\n", text.size()) + text;
  (void)ks::send_all(fd, out);
}

void send_error(int fd, int status, const std::string& message) { send_json(fd, status, Json{{"message", message}}); }

void send_asset(int fd, const Asset& a, bool head) {
  std::string out = fmt::format(
      "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nContent-Security-Policy: {}\r\n"
      "X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n"
      "Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
      a.content_type, a.data.size(), kCsp);
  if (!head) out.append(a.data);
  (void)ks::send_all(fd, out);
}

// Copies the daemon's answer to the browser (adding two headers) until
// either side ends: a followed log or the event stream lasts as long as the
// page wants it.
void relay_response(int client, int upstream) {
  std::string head;
  char buf[16384];
  size_t end = std::string::npos;
  while (end == std::string::npos) {
    ssize_t n = ::read(upstream, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      send_error(client, 502, "berthd closed the connection without an answer");
      return;
    }
    head.append(buf, static_cast<size_t>(n));
    end = head.find("\r\n\r\n");
    if (end == std::string::npos && head.size() > 65536) {
      send_error(client, 502, "berthd's answer has no end of headers");
      return;
    }
  }
  size_t line = head.find("\r\n");
  head.insert(line + 2, "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n");
  if (!ks::send_all(client, head)) return;
  for (;;) {
    pollfd p[2] = {{upstream, POLLIN, 0}, {client, POLLIN | POLLRDHUP, 0}};
    int r = ::poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || p[1].revents) return;  // the browser went away (it sends nothing after its request)
    ssize_t n = ::read(upstream, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (!ks::send_all(client, std::string(buf, static_cast<size_t>(n)))) return;
  }
}

bool is_state_change(const std::string& method) { return method != "GET" && method != "HEAD"; }

constexpr int kMaxConnections = 256;

// A container's name or id as the terminal's URL names it: nothing that
// could add a path segment or a query to the daemon's URL.
bool plain_container_ref(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

}  // namespace

struct UiServer::Impl {
  Listen listen;
  Site site;
  UiOptions opts;
  api::Endpoint upstream;
  std::shared_ptr<Auth> auth;
  std::unique_ptr<TlsContext> tls;
  UniqueFd listener;
  std::thread acceptor;
  std::mutex mu;
  std::condition_variable cv;
  std::set<int> open_fds;
  int connections = 0;
  bool stopping = false;

  void accept_loop();
  void serve(UniqueFd fd);
  void handle(int fd, const ks::HttpRequest& req);
  void proxy(int fd, const ks::HttpRequest& req);
  void exec(int fd, const ks::HttpRequest& req, const std::string& container);
  void track(int fd, bool add) {
    std::lock_guard lock(mu);
    if (add) open_fds.insert(fd);
    else open_fds.erase(fd);
  }
  std::string session_of(const ks::HttpRequest& req) const {
    return cookie_value(req.header("cookie"), kSessionCookie);
  }
};

Result<void> validate_options(const UiOptions& opts) {
  Listen l = TRY(parse_listen(opts.addr));
  if (opts.tls_cert.empty() != opts.tls_key.empty())
    return fail(Errc::InvalidArgument, "--ui-tls-cert and --ui-tls-key go together: give both or neither");
  if (!l.loopback && opts.tls_cert.empty())
    return fail(Errc::InvalidArgument,
                fmt::format("--ui-addr {} is not a loopback address: serving the dashboard to other hosts needs "
                            "TLS (--ui-tls-cert and --ui-tls-key)", opts.addr));
  return {};
}

Result<std::unique_ptr<UiServer>> UiServer::start(const UiOptions& opts, std::shared_ptr<Auth> auth) {
  TRYV(validate_options(opts));
  auto impl = std::make_unique<Impl>();
  impl->opts = opts;
  impl->listen = TRY(parse_listen(opts.addr));
  impl->upstream = TRY(api::Endpoint::parse(opts.upstream));
  impl->auth = std::move(auth);
  if (!opts.tls_cert.empty()) impl->tls = TRY(TlsContext::load(opts.tls_cert, opts.tls_key));
  Listen& l = impl->listen;
  UniqueFd fd(::socket(l.sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&l.sa), l.len) < 0)
    return fail_errno("binding the dashboard to " + opts.addr);
  if (::listen(fd.get(), 64) < 0) return fail_errno("listen");
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &blen);
  l.port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                            : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  impl->site = Site{impl->tls != nullptr, l.loopback, l.port};
  impl->listener = std::move(fd);
  Impl* raw = impl.get();
  impl->acceptor = std::thread([raw] { raw->accept_loop(); });
  return std::unique_ptr<UiServer>(new UiServer(std::move(impl)));
}

UiServer::UiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UiServer::~UiServer() { stop(); }

std::string UiServer::base_url() const {
  std::string host = impl_->listen.host;
  if (host == "0.0.0.0" || host == "::") {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    host = name;
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("{}://{}:{}", impl_->tls ? "https" : "http", host, impl_->listen.port);
}

std::string UiServer::login_url(const std::string& token) const { return base_url() + "/#token=" + token; }

void UiServer::stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
    ::shutdown(impl_->listener.get(), SHUT_RDWR);
    for (int fd : impl_->open_fds) ::shutdown(fd, SHUT_RDWR);
  }
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->connections == 0; });
}

void UiServer::Impl::accept_loop() {
  for (;;) {
    int c = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::lock_guard lock(mu);
      if (stopping) return;
      if (errno == EMFILE || errno == ENFILE) {
        log::warn("dashboard: accept: out of file descriptors");
        continue;
      }
      return;
    }
    std::lock_guard lock(mu);
    if (stopping) {
      ::close(c);
      return;
    }
    if (connections >= kMaxConnections) {  // a page needs a handful; more is someone flooding
      ::close(c);
      continue;
    }
    ++connections;
    open_fds.insert(c);
    std::thread([this, c] {
      serve(UniqueFd(c));
      std::lock_guard lock(mu);
      --connections;
      cv.notify_all();
    }).detach();
  }
}

void UiServer::Impl::serve(UniqueFd tcp) {
  int tcp_fd = tcp.get();
  // A client that stalls in its request (or a TLS handshake) gives up its thread.
  timeval tv{30, 0};
  ::setsockopt(tcp_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  UniqueFd plain;
  std::thread pump;
  if (tls) {
    auto w = tls->accept(std::move(tcp));
    if (!w) {
      log::debug("dashboard: {}", w.error().str());
      track(tcp_fd, false);
      return;
    }
    plain = std::move(w->plain);
    pump = std::move(w->pump);
    // The pump owns (and closes) the TCP socket now; stop() reaches it through `plain`.
    track(tcp_fd, false);
    track(plain.get(), true);
  } else {
    plain = std::move(tcp);
  }
  int fd = plain.get();
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);  // the request itself (TLS: after the handshake)
  auto req = ks::read_request(fd);
  if (req) {
    timeval none{0, 0};  // answers may stream for as long as the page wants
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    handle(fd, *req);
  }
  track(fd, false);
  ::shutdown(fd, SHUT_WR);
  plain.reset();  // with TLS: the pump sends close_notify and ends
  if (pump.joinable()) pump.join();
}

void UiServer::Impl::handle(int fd, const ks::HttpRequest& req) {
  std::string host = req.header("host");
  if (!host_allowed(site, host)) {
    send_error(fd, 421, fmt::format("this dashboard answers to 127.0.0.1:{} or localhost:{}, not \"{}\"",
                                    site.port, site.port, host));
    return;
  }
  std::string origin = req.header("origin");
  // Cross-site requests are refused whatever they carry: state changes and
  // upgrades must name this origin, other requests may not name another.
  bool needs_origin = is_state_change(req.method) || ks::is_websocket_request(req);
  if ((needs_origin || !origin.empty()) && !origin_matches(site, origin, host)) {
    send_error(fd, 403, origin.empty() ? "the request has no Origin header (a browser sends one)"
                                       : "cross-origin request refused: " + origin);
    return;
  }
  const std::string& path = req.path;
  if (path == "/ui/login" && req.method == "POST") {
    auto body = Json::parse(req.body, nullptr, false);
    std::string token = body.is_object() && body.contains("token") && body["token"].is_string()
                            ? body["token"].get<std::string>() : "";
    auto session = auth->exchange(token);
    if (!session) {
      send_error(fd, 401, session.error().message);
      return;
    }
    send_json(fd, 200, Json{{"ok", true}}, {{"Set-Cookie", session_cookie(*session, site.tls, std::chrono::hours(12))}});
    return;
  }
  if (path == "/ui/logout" && req.method == "POST") {
    auth->end_session(session_of(req));
    send_json(fd, 200, Json{{"ok", true}}, {{"Set-Cookie", expired_session_cookie(site.tls)}});
    return;
  }
  bool api = path.starts_with("/api/");
  bool exec_path = path.starts_with("/ui/exec/");
  if (api || exec_path) {
    if (!auth->session_valid(session_of(req))) {
      send_error(fd, 401, "not logged in: run `berth ui` and open the URL it prints");
      return;
    }
    if (api) {
      proxy(fd, req);
    } else {
      std::string container = path.substr(std::string_view("/ui/exec/").size());
      if (!plain_container_ref(container) || req.method != "GET" || !ks::is_websocket_request(req)) {
        send_error(fd, 400, "the terminal is a WebSocket: GET /ui/exec/CONTAINER with an Upgrade: websocket");
        return;
      }
      exec(fd, req, container);
    }
    return;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    send_error(fd, 405, "method not allowed");
    return;
  }
  const Asset* a = find_asset(path == "/" ? "/index.html" : path);
  if (!a) {
    send_error(fd, 404, "no such page: " + path);
    return;
  }
  send_asset(fd, *a, req.method == "HEAD");
}

void UiServer::Impl::proxy(int fd, const ks::HttpRequest& req) {
  std::string target = req.target.substr(4);  // "/api/containers/json?all=1" -> "/containers/json?all=1"
  std::string path = target.substr(0, target.find('?'));
  if (!proxy_allowed(req.method, path)) {
    send_error(fd, 403, fmt::format("the dashboard does not relay {} {}", req.method, path));
    return;
  }
  auto up = connect_upstream(upstream);
  if (!up) {
    send_error(fd, 502, up.error().str());
    return;
  }
  std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: berth\r\nConnection: close\r\nUser-Agent: berth-dashboard\r\n",
                                req.method, target);
  if (!req.body.empty()) out += "Content-Type: application/json\r\n";
  out += fmt::format("Content-Length: {}\r\n\r\n", req.body.size()) + req.body;
  if (!ks::send_all(up->get(), out)) {
    send_error(fd, 502, "berthd closed the connection");
    return;
  }
  relay_response(fd, up->get());
}

void UiServer::Impl::exec(int fd, const ks::HttpRequest& req, const std::string& container) {
  auto ctl = api::Client::create(upstream);
  auto io_client = api::Client::create(upstream);
  if (!ctl || !io_client) {
    ks::send_plain(fd, 502, "cannot reach berthd");
    return;
  }
  std::string shell = "/bin/sh";
  if (auto it = req.query.find("shell"); it != req.query.end() && !it->second.empty()) shell = it->second;
  Json create{{"AttachStdin", true}, {"AttachStdout", true}, {"AttachStderr", true}, {"Tty", true},
              {"Env", Json::array({"TERM=xterm-256color"})}, {"Cmd", Json::array({shell})}};
  // Created before the upgrade, so a stopped container or an unknown one is a plain HTTP error the page shows.
  auto created = (*ctl)->post_json(fmt::format("/containers/{}/exec", container), create);
  if (!created || created->status != 201) {
    ks::send_plain(fd, created ? created->status : 502, created ? created->error_message() : created.error().str());
    return;
  }
  auto cj = created->json();
  std::string exec_id = cj && cj->contains("Id") ? (*cj)["Id"].get<std::string>() : "";
  if (exec_id.empty()) {
    ks::send_plain(fd, 502, "berthd's exec create answer has no Id");
    return;
  }
  if (!ks::upgrade_websocket(fd, req, {""})) return;
  auto started = (*io_client)->hijack(fmt::format("/exec/{}/start", exec_id), R"({"Detach":false,"Tty":true})");
  if (!started) {
    fail_exec_socket(fd, started.error().message);
    return;
  }
  track(started->fd.get(), true);
  api::Client* c = ctl->get();
  // The browser sends its size at once, maybe before the exec's process
  // runs (berthd then answers 409): that size is kept and sent again when
  // the first output shows the process running. The control client is
  // shared by the relay's two threads.
  struct Sizing {
    std::mutex mu;
    bool running = false;
    std::optional<std::pair<unsigned, unsigned>> pending;  // cols, rows
  } sizing;
  auto send_size = [c, &exec_id](unsigned cols, unsigned rows) {
    auto r = c->request("POST", fmt::format("/exec/{}/resize?h={}&w={}", exec_id, rows, cols));
    if (!r) log::debug("dashboard: resizing exec {}: {}", exec_id, r.error().str());
    else if (r->status >= 400) log::debug("dashboard: resizing exec {}: {}", exec_id, r->error_message());
    return r && r->status < 400;
  };
  ExecRelayIo io;
  io.ws_fd = fd;
  io.ws_buffered = req.leftover;
  io.exec_fd = started->fd.get();
  io.exec_buffered = std::move(started->buffered);
  io.resize = [&](unsigned cols, unsigned rows) {
    std::lock_guard lock(sizing.mu);
    bool ok = send_size(cols, rows);
    if (!sizing.running) sizing.pending = ok ? std::nullopt : std::optional(std::pair(cols, rows));
  };
  io.first_output = [&] {
    std::lock_guard lock(sizing.mu);
    sizing.running = true;
    if (sizing.pending) send_size(sizing.pending->first, sizing.pending->second);
    sizing.pending.reset();
  };
  RelayEnd end = relay_exec(std::move(io));
  track(started->fd.get(), false);
  if (end == RelayEnd::ExecEnded) {
    int code = -1;
    if (auto r = c->request("GET", fmt::format("/exec/{}/json", exec_id)); r && r->status == 200)
      if (auto j = r->json(); j && (*j)["ExitCode"].is_number_integer()) code = (*j)["ExitCode"].get<int>();
    finish_exec_socket(fd, code);
  }
}

}  // namespace berth::ui
