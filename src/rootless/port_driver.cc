#include "rootless/port_driver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <thread>

#include "base/log.h"
#include "sys/fdpass.h"

namespace berth::rootless {

namespace {

bool send_reply(int sock, int fd, const std::string& text) {
  if (fd >= 0) return sys::send_fd_raw(sock, fd, text.data(), text.size()) == 0;
  return ::send(sock, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// Copies one direction with splice(2) through a pipe until EOF, then half-closes.
void pump(int from, int to) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) == 0) {
    ::fcntl(p[1], F_SETPIPE_SZ, 1 << 20);  // fewer, larger moves; the default 64 KiB if refused
    for (;;) {
      ssize_t n = ::splice(from, nullptr, p[1], nullptr, 1 << 20, SPLICE_F_MOVE);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      while (n > 0) {
        ssize_t m = ::splice(p[0], nullptr, to, nullptr, static_cast<size_t>(n), SPLICE_F_MOVE);
        if (m < 0 && errno == EINTR) continue;
        if (m <= 0) {
          n = -1;
          break;
        }
        n -= m;
      }
      if (n < 0) break;
    }
    ::close(p[0]);
    ::close(p[1]);
  }
  ::shutdown(to, SHUT_WR);
  ::shutdown(from, SHUT_RD);
}

Result<UniqueFd> connect_to(const std::string& ip, uint16_t port) {
  sockaddr_storage ss{};
  socklen_t len;
  int family;
  if (ip.find(':') == std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = family = AF_INET;
    a->sin_port = htons(port);
    if (::inet_pton(AF_INET, ip.c_str(), &a->sin_addr) != 1) return fail(Errc::InvalidArgument, "bad address " + ip);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = family = AF_INET6;
    a->sin6_port = htons(port);
    if (::inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr) != 1) return fail(Errc::InvalidArgument, "bad address " + ip);
    len = sizeof *a;
  }
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail_errno("connecting to " + ip);
  return fd;
}

}  // namespace

Result<PortRequest> parse_port_request(std::string_view text) {
  auto bad = [&] { return fail(Errc::InvalidArgument, "bad port request '" + std::string(text) + "'"); };
  if (text.substr(0, 4) != "tcp ") return bad();
  text.remove_prefix(4);
  size_t sp = text.find(' ');
  if (sp == std::string_view::npos || sp == 0) return bad();
  PortRequest r;
  r.ip = std::string(text.substr(0, sp));
  std::string_view port = text.substr(sp + 1);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (ec != std::errc() || p != port.data() + port.size() || v == 0 || v > 65535) return bad();
  r.port = static_cast<uint16_t>(v);
  unsigned char buf[16];
  if (::inet_pton(AF_INET, r.ip.c_str(), buf) != 1 && ::inet_pton(AF_INET6, r.ip.c_str(), buf) != 1) return bad();
  return r;
}

Result<UniqueFd> listen_on_host(const PortRequest& r) {
  sockaddr_storage ss{};
  socklen_t len;
  int family = r.ip.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(r.port);
    ::inet_pton(AF_INET, r.ip.c_str(), &a->sin_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(r.port);
    ::inet_pton(AF_INET6, r.ip.c_str(), &a->sin6_addr);
    len = sizeof *a;
  }
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return fail_errno("binding " + r.ip + ":" + std::to_string(r.port) + " on the host");
  if (::listen(fd.get(), 128) != 0) return fail_errno("listening on " + r.ip + ":" + std::to_string(r.port));
  return fd;
}

bool serve_port_request(int sock) {
  char buf[256];
  ssize_t n = ::recv(sock, buf, sizeof buf, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  auto req = parse_port_request(std::string_view(buf, static_cast<size_t>(n)));
  Result<UniqueFd> fd = req ? listen_on_host(*req) : std::unexpected(req.error());
  if (!fd) return send_reply(sock, -1, "ERR " + std::to_string(fd.error().sys_errno) + " " + fd.error().message) || true;
  send_reply(sock, fd->get(), "OK");
  return true;
}

Result<UniqueFd> PortClient::listen(const net::PortBinding& b) {
  if (b.proto != net::Proto::Tcp)
    return fail(Errc::Unsupported, "rootless berthd publishes TCP ports only: " + b.host_str() + "/udp cannot be published");
  std::string ip = b.host_ip.empty() ? "0.0.0.0" : b.host_ip;
  std::string req = "tcp " + ip + " " + std::to_string(b.host_port);
  std::lock_guard lock(mu_);
  if (::send(sock_.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    return fail_errno("asking the outer berthd process for host port " + std::to_string(b.host_port));
  char buf[512];
  int fd = -1;
  ssize_t n = sys::recv_with_fd(sock_.get(), buf, sizeof buf, &fd);
  if (n <= 0) return fail(Errc::Unavailable, "the outer berthd process did not answer a port request", n < 0 ? errno : 0);
  UniqueFd got(fd);
  std::string_view reply(buf, static_cast<size_t>(n));
  if (reply == "OK" && got) return got;
  int err = 0;
  std::string text(reply);
  if (reply.substr(0, 4) == "ERR ") {
    reply.remove_prefix(4);
    auto sp = reply.find(' ');
    std::from_chars(reply.data(), reply.data() + (sp == std::string_view::npos ? reply.size() : sp), err);
    text = sp == std::string_view::npos ? "" : std::string(reply.substr(sp + 1));
  }
  if (err == EADDRINUSE)
    return fail(Errc::Conflict, "Bind for " + b.host_str() + " failed: port is already allocated on the host", err);
  return fail(errc_from_errno(err), text, err);
}

struct Forwarder::State {
  UniqueFd listener;
  std::string target_ip;
  uint16_t port = 0;
  std::thread acceptor;
};

Result<std::shared_ptr<Forwarder>> Forwarder::start(UniqueFd listener, std::string target_ip, uint16_t port) {
  std::shared_ptr<Forwarder> f(new Forwarder());
  f->state_ = std::make_shared<State>();
  f->state_->listener = std::move(listener);
  f->state_->target_ip = std::move(target_ip);
  f->state_->port = port;
  State* st = f->state_.get();
  f->state_->acceptor = std::thread([st] {
    for (;;) {
      int c = ::accept4(st->listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) continue;
        return;  // shut down
      }
      UniqueFd client(c);
      auto server = connect_to(st->target_ip, st->port);
      if (!server) {
        log::debug("published port {}: {}", st->port, server.error().str());
        continue;  // the client sees its connection closed
      }
      int one = 1;
      ::setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::setsockopt(server->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto a = std::make_shared<UniqueFd>(std::move(client));
      auto b = std::make_shared<UniqueFd>(std::move(*server));
      std::thread([a, b] {
        std::thread back([a, b] { pump(b->get(), a->get()); });
        pump(a->get(), b->get());
        back.join();
      }).detach();
    }
  });
  return f;
}

Forwarder::~Forwarder() {
  // shutdown() wakes the blocked accept(); the socket closes with the state.
  ::shutdown(state_->listener.get(), SHUT_RDWR);
  if (state_->acceptor.joinable()) state_->acceptor.join();
}

void install_port_exporter(UniqueFd sock) {
  auto client = std::make_shared<PortClient>(std::move(sock));
  net::set_host_port_exporter([client](const net::PortBinding& b) -> Result<std::shared_ptr<void>> {
    UniqueFd listener = TRY(client->listen(b));
    // The DNAT rule matches the binding's address here; any address matches 127.0.0.1.
    std::string target = b.host_ip.empty() || b.host_ip == "0.0.0.0" || b.host_ip == "::" ? "127.0.0.1" : b.host_ip;
    return std::shared_ptr<void>(TRY(Forwarder::start(std::move(listener), target, b.host_port)));
  });
}

}  // namespace berth::rootless
