#include "cli/stream.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include "httpio/fd_stream.h"

namespace berth::cli {

namespace http = boost::beast::http;

// ---- PendingRequest ----

namespace {

Result<UniqueFd> connect_to(const api::Endpoint& ep) {
  auto unavailable = [&] {
    return fail(Errc::Unavailable, "Cannot connect to the berth daemon. Is the daemon running?");
  };
  if (ep.kind == api::Endpoint::Kind::Unix) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (ep.path.size() >= sizeof addr.sun_path) return fail(Errc::InvalidArgument, "socket path too long");
    std::memcpy(addr.sun_path, ep.path.c_str(), ep.path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return fail_errno("creating a UNIX socket");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return unavailable();
    return fd;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(ep.host.c_str(), std::to_string(ep.port).c_str(), &hints, &res) != 0) return unavailable();
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, ::freeaddrinfo);
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd && ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) return fd;
  }
  return unavailable();
}

}  // namespace

struct PendingRequest::Reply {
  boost::beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
};

PendingRequest::PendingRequest() = default;
PendingRequest::PendingRequest(PendingRequest&&) noexcept = default;
PendingRequest& PendingRequest::operator=(PendingRequest&&) noexcept = default;
PendingRequest::~PendingRequest() = default;

Result<PendingRequest> PendingRequest::send(const std::string& host, int api_minor, std::string_view method,
                                            std::string_view path) {
  auto ep = TRY(api::Endpoint::parse(host));
  PendingRequest p;
  p.fd_ = TRY(connect_to(ep));
  http::request<http::empty_body> req;
  req.method_string(boost::beast::string_view(method.data(), method.size()));
  req.target(fmt::format("/v1.{}{}", api_minor, path));
  req.version(11);
  req.set(http::field::host, "berth");
  req.set(http::field::user_agent, "berth-cli");
  req.set(http::field::content_length, "0");
  httpio::FdStream stream(p.fd_.get());
  boost::system::error_code ec;
  http::write(stream, req, ec);
  if (ec) return fail(Errc::Unavailable, fmt::format("sending {} {} to the daemon: {}", method, path, ec.message()));
  p.reply_ = std::make_unique<Reply>();
  p.reply_->parser.body_limit(boost::none);
  http::read_header(stream, p.reply_->buf, p.reply_->parser, ec);
  if (ec) return fail(Errc::Unavailable, fmt::format("reading the daemon's answer to {} {}: {}", method, path, ec.message()));
  return p;
}

int PendingRequest::status() const { return reply_ ? static_cast<int>(reply_->parser.get().result_int()) : 0; }

Result<api::Response> PendingRequest::finish() {
  if (!reply_) return fail(Errc::Internal, "the pending request was already read");
  httpio::FdStream stream(fd_.get());
  boost::system::error_code ec;
  if (!reply_->parser.is_done()) http::read(stream, reply_->buf, reply_->parser, ec);
  if (ec) return fail(Errc::Unavailable, fmt::format("reading the daemon's answer: {}", ec.message()));
  api::Response r;
  r.status = static_cast<int>(reply_->parser.get().result_int());
  for (const auto& f : reply_->parser.get()) {
    std::string key(f.name_string());
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace(key, std::string(f.value()));
  }
  r.body = std::move(reply_->parser.get().body());
  reply_.reset();
  fd_.reset();
  return r;
}

// ---- terminal ----

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

std::optional<std::pair<int, int>> terminal_size() {
  winsize ws{};
  for (int fd : {1, 0, 2}) {
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) return std::make_pair(int(ws.ws_row), int(ws.ws_col));
  }
  return std::nullopt;
}

Result<void> RawTerminal::enable(int fd) {
  if (::tcgetattr(fd, &saved_) != 0) return fail_errno("reading the terminal's settings");
  termios raw = saved_;
  raw.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  raw.c_oflag &= ~static_cast<tcflag_t>(OPOST);
  raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  raw.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB);
  raw.c_cflag |= CS8;
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (::tcsetattr(fd, TCSANOW, &raw) != 0) return fail_errno("putting the terminal in raw mode");
  fd_ = fd;
  return {};
}

void RawTerminal::restore() {
  if (fd_ >= 0) ::tcsetattr(fd_, TCSANOW, &saved_);
  fd_ = -1;
}

Result<std::string> parse_detach_keys(const std::string& spec) {
  std::string out;
  for (auto key : [&] {
         std::vector<std::string> v;
         size_t i = 0;
         while (i <= spec.size()) {
           size_t c = spec.find(',', i);
           if (c == std::string::npos) c = spec.size();
           v.push_back(spec.substr(i, c - i));
           i = c + 1;
         }
         return v;
       }()) {
    if (key.size() == 1) {
      out += key[0];
    } else if (key.size() == 6 && key.starts_with("ctrl-")) {
      char c = key[5];
      if (c >= 'a' && c <= 'z') out += static_cast<char>(c - 'a' + 1);
      else if (c == '@') out += '\0';
      else if (c >= '[' && c <= '_') out += static_cast<char>(c - '[' + 27);
      else return fail(Errc::InvalidArgument, fmt::format("Unknown character: '{}'", key));
    } else {
      return fail(Errc::InvalidArgument, fmt::format("Unknown character: '{}'", key));
    }
  }
  return out;
}

// ---- the pump ----

namespace {

int g_signal_pipe = -1;

void on_signal(int sig) {
  int saved = errno;
  unsigned char s = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = ::write(g_signal_pipe, &s, 1);
  errno = saved;
}

// Signals docker-cli forwards (all but those it must not: CHLD, PIPE, URG, WINCH).
constexpr int kProxied[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
                            SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ};

// To the daemon's socket: MSG_NOSIGNAL, so a closed connection is EPIPE, not SIGPIPE.
bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

void send_resize(Cli& cli, const std::string& resize_path) {
  auto size = terminal_size();
  if (!size || resize_path.empty()) return;
  auto c = cli.client();
  if (!c) return;
  // A resize the daemon refuses (the process already exited) is not an error for the user.
  (void)(*c)->request("POST", fmt::format("{}?h={}&w={}", resize_path, size->first, size->second));
}

Result<PumpEnd> pump_streams(Cli& cli, api::Client::Hijacked& conn, const PumpOptions& opts) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return fail_errno("creating the signal pipe");
  UniqueFd sig_read(fds[0]), sig_write(fds[1]);
  g_signal_pipe = sig_write.get();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  std::vector<int> handled;
  if (opts.tty && !opts.resize_path.empty()) handled.push_back(SIGWINCH);
  if (!opts.kill_path.empty()) {
    handled.insert(handled.end(), std::begin(kProxied), std::end(kProxied));
  } else if (opts.tty) {
    handled.insert(handled.end(), {SIGTERM, SIGHUP});  // restore the terminal before dying
  }
  std::vector<struct sigaction> old(handled.size());
  for (size_t i = 0; i < handled.size(); ++i) ::sigaction(handled[i], &sa, &old[i]);
  auto restore_signals = [&] {
    for (size_t i = 0; i < handled.size(); ++i) ::sigaction(handled[i], &old[i], nullptr);
    g_signal_pipe = -1;
  };

  std::string escape = opts.detach_keys.empty() ? std::string("\x10\x11") : opts.detach_keys;
  size_t escape_matched = 0;
  api::StreamDemux demux;
  auto deliver = [&](std::string_view data) {
    if (opts.tty) {
      write_all(1, data);
      return;
    }
    demux.feed(data, [](int stream, std::string_view payload) { write_all(stream == 2 ? 2 : 1, payload); });
  };
  if (!conn.buffered.empty()) deliver(conn.buffered);

  bool stdin_open = opts.attach_stdin;
  PumpEnd end = PumpEnd::OutputClosed;
  std::vector<char> buf(32 << 10);
  while (true) {
    pollfd p[3] = {{conn.fd.get(), POLLIN, 0}, {sig_read.get(), POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    if (::poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      restore_signals();
      return fail_errno("waiting for the container's streams");
    }
    if (p[1].revents & POLLIN) {
      unsigned char s;
      while (::read(sig_read.get(), &s, 1) == 1) {
        if (s == SIGWINCH) {
          send_resize(cli, opts.resize_path);
        } else if (!opts.kill_path.empty()) {
          if (auto c = cli.client()) (void)(*c)->request("POST", fmt::format("{}?signal={}", opts.kill_path, int(s)));
        } else {
          restore_signals();
          return fail(Errc::Internal, fmt::format("interrupted by signal {}", strsignal(s)));
        }
      }
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(0, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        stdin_open = false;
        ::shutdown(conn.fd.get(), SHUT_WR);  // the container reads EOF on its stdin
      } else {
        std::string forward;
        for (ssize_t i = 0; i < n; ++i) {
          char c = buf[static_cast<size_t>(i)];
          if (opts.tty && c == escape[escape_matched]) {
            // Held back until the sequence completes or breaks (docker's EscapeProxy).
            if (++escape_matched == escape.size()) {
              end = PumpEnd::Detached;
              break;
            }
            continue;
          }
          if (escape_matched) forward += escape.substr(0, escape_matched);
          escape_matched = 0;
          forward += c;
        }
        if (!forward.empty() && !send_all(conn.fd.get(), forward)) stdin_open = false;
        if (end == PumpEnd::Detached) break;
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(conn.fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      deliver(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
  }
  restore_signals();
  return end;
}

}  // namespace berth::cli
