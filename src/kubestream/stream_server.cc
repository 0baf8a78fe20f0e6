#include "kubestream/stream_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <ctime>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "kubestream/http_upgrade.h"
#include "kubestream/sessions.h"
#include "kubestream/token_cache.h"

namespace berth::kubestream {

namespace {

class Server : public StreamServer {
 public:
  Server(ServerOptions opts, StreamRuntime& runtime)
      : opts_(std::move(opts)), runtime_(runtime), tokens_(opts_.token_ttl, opts_.clock) {
    limits_.stream_creation_timeout = opts_.stream_creation_timeout;
  }
  ~Server() override { stop(); }

  Result<void> listen();
  Result<std::string> get_exec(const ExecRequest& req) override;
  Result<std::string> get_attach(const AttachRequest& req) override;
  Result<std::string> get_port_forward(const PortForwardRequest& req) override;
  std::string base_url() const override { return base_url_; }
  void stop() override;

 private:
  struct Conn {
    UniqueFd fd;  // closed under mu_ with done set, so stop() never shuts down a reused number
    std::thread thread;
    bool done = false;
  };
  void accept_loop();
  void serve(UniqueFd fd);
  void reap_locked();
  Result<std::string> url(const char* kind, StreamRequest req);

  ServerOptions opts_;
  StreamRuntime& runtime_;
  TokenCache tokens_;
  SessionLimits limits_;
  UniqueFd listen_fd_;
  std::string base_url_;
  std::thread acceptor_;
  std::mutex mu_;
  std::list<Conn> conns_;
  bool stopping_ = false;
};

Result<void> Server::listen() {
  sockaddr_storage ss{};
  socklen_t len;
  bool v6 = opts_.address.find(':') != std::string::npos;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(opts_.port);
    if (inet_pton(AF_INET6, opts_.address.c_str(), &a->sin6_addr) != 1)
      return fail(Errc::InvalidArgument, "streaming server address '" + opts_.address + "' is not an IP address");
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(opts_.port);
    if (inet_pton(AF_INET, opts_.address.c_str(), &a->sin_addr) != 1)
      return fail(Errc::InvalidArgument, "streaming server address '" + opts_.address + "' is not an IP address");
    len = sizeof(sockaddr_in);
  }
  listen_fd_.reset(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listen_fd_) return fail_errno("creating the streaming server's socket");
  int one = 1;
  ::setsockopt(listen_fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  std::string where = opts_.address + ":" + std::to_string(opts_.port);
  if (::bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0)
    return fail_errno("binding the streaming server to " + where);
  if (::listen(listen_fd_.get(), 128) < 0) return fail_errno("listening on " + where);
  if (::getsockname(listen_fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len) < 0)
    return fail_errno("reading the streaming server's port");
  uint16_t port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  base_url_ = "http://" + (v6 ? "[" + opts_.address + "]" : opts_.address) + ":" + std::to_string(port);
  acceptor_ = std::thread([this] { accept_loop(); });
  return {};
}

void Server::reap_locked() {
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (it->done) {
      it->thread.join();
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

void Server::accept_loop() {
  for (;;) {
    int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    int err = errno;
    {
      std::lock_guard lock(mu_);
      reap_locked();
      if (stopping_) {
        if (fd >= 0) ::close(fd);
        return;
      }
      if (fd >= 0) {
        auto& c = conns_.emplace_back();
        c.fd.reset(fd);
        c.thread = std::thread([this, &c, fd] {
          serve(UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 0)));
          std::lock_guard lock(mu_);
          c.done = true;
          c.fd.reset();  // the client sees the end now, not at the next accept
        });
        continue;
      }
    }
    if (err == EINTR || err == ECONNABORTED) continue;
    if (err == EMFILE || err == ENFILE) {
      // Out of descriptors: the connection stays queued; retry after a pause
      // rather than spin on a listener that stays readable.
      timespec pause{0, 100 * 1000 * 1000};
      ::nanosleep(&pause, nullptr);
      continue;
    }
    return;  // the listener was shut down (stop) or broke
  }
}

void Server::serve(UniqueFd fd) {
  // Frames are small and interactive (keystrokes, prompts): no Nagle delay, as Go's sockets.
  int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // The request head must come promptly; the upgraded session has no such limit.
  timeval tv{30, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto req = read_request(fd.get());
  if (!req) {
    send_plain(fd.get(), 400, req.error().message);
    return;
  }
  tv = {0, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (req->method != "GET" && req->method != "POST") {
    send_plain(fd.get(), 405, "method " + req->method + " is not allowed here (GET or POST)");
    return;
  }
  std::string_view path = req->path;
  size_t slash = path.find('/', 1);
  std::string_view kind = path.substr(1, slash == std::string_view::npos ? std::string_view::npos : slash - 1);
  std::string token = slash == std::string_view::npos ? "" : std::string(path.substr(slash + 1));
  if (token.empty() || token.find('/') != std::string::npos || (kind != "exec" && kind != "attach" && kind != "portforward")) {
    send_plain(fd.get(), 404, "no streaming endpoint at " + req->path);
    return;
  }
  auto cached = tokens_.consume(token);
  bool matches = cached && ((kind == "exec" && std::holds_alternative<ExecRequest>(*cached)) ||
                            (kind == "attach" && std::holds_alternative<AttachRequest>(*cached)) ||
                            (kind == "portforward" && std::holds_alternative<PortForwardRequest>(*cached)));
  if (!matches) {
    send_plain(fd.get(), 404, std::string(kind) + " token unknown, already used or expired");
    return;
  }
  if (auto* pf = std::get_if<PortForwardRequest>(&*cached)) {
    serve_port_forward(std::move(fd), std::move(*req), std::move(*pf), runtime_, limits_);
  } else if (auto* ex = std::get_if<ExecRequest>(&*cached)) {
    serve_remote_command(std::move(fd), std::move(*req), std::move(*ex), runtime_, limits_);
  } else {
    serve_remote_command(std::move(fd), std::move(*req), std::get<AttachRequest>(std::move(*cached)), runtime_, limits_);
  }
}

Result<std::string> Server::url(const char* kind, StreamRequest req) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return fail(Errc::Unavailable, "the streaming server is stopped");
  }
  std::string token = TRY(tokens_.insert(std::move(req)));
  return base_url_ + "/" + kind + "/" + token;
}

Result<void> check_streams(const char* what, const std::string& id, bool tty, bool in, bool out, bool err) {
  if (id.empty()) return fail(Errc::InvalidArgument, std::string(what) + " needs a container id");
  if (tty && err) return fail(Errc::InvalidArgument, std::string(what) + ": tty and stderr cannot both be true (a terminal has one output)");
  if (!in && !out && !err) return fail(Errc::InvalidArgument, std::string(what) + ": one of stdin, stdout or stderr must be set");
  return {};
}

Result<std::string> Server::get_exec(const ExecRequest& req) {
  TRYV(check_streams("exec", req.container_id, req.tty, req.stdin_, req.stdout_, req.stderr_));
  if (req.cmd.empty()) return fail(Errc::InvalidArgument, "exec needs a command");
  return url("exec", req);
}

Result<std::string> Server::get_attach(const AttachRequest& req) {
  TRYV(check_streams("attach", req.container_id, req.tty, req.stdin_, req.stdout_, req.stderr_));
  return url("attach", req);
}

Result<std::string> Server::get_port_forward(const PortForwardRequest& req) {
  if (req.pod_sandbox_id.empty()) return fail(Errc::InvalidArgument, "port forward needs a pod sandbox id");
  for (uint16_t p : req.ports) {
    if (p == 0) return fail(Errc::InvalidArgument, "port forward: port 0 is not a port");
  }
  return url("portforward", req);
}

void Server::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    if (listen_fd_) ::shutdown(listen_fd_.get(), SHUT_RDWR);  // wakes accept()
    for (auto& c : conns_) {
      if (!c.done) ::shutdown(c.fd.get(), SHUT_RDWR);
    }
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::list<Conn> conns;
  {
    std::lock_guard lock(mu_);
    conns.swap(conns_);
  }
  for (auto& c : conns) c.thread.join();
  listen_fd_.reset();
}

}  // namespace

Result<std::unique_ptr<StreamServer>> StreamServer::start(ServerOptions opts, StreamRuntime& runtime) {
  if (opts.token_ttl.count() <= 0) return fail(Errc::InvalidArgument, "the stream token TTL must be positive");
  if (opts.stream_creation_timeout.count() <= 0)
    return fail(Errc::InvalidArgument, "the stream creation timeout must be positive");
  auto server = std::make_unique<Server>(std::move(opts), runtime);
  TRYV(server->listen());
  return std::unique_ptr<StreamServer>(std::move(server));
}

}  // namespace berth::kubestream
