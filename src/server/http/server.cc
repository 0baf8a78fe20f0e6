// The accept loop: listening sockets plus a self-pipe for stop(), and a pool
// of detached workers that serve the accepted connections.
#include "server/http/server.h"

#include <fcntl.h>
#include <malloc.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "base/log.h"
#include "server/http/server_internal.h"

namespace berth::server {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Docker's defaults; the caller's entries replace them by name.
std::vector<std::pair<std::string, std::string>> common_headers_for(const ServerOptions& opts) {
  std::vector<std::pair<std::string, std::string>> out = {
      {"Api-Version", fmt::format("1.{}", opts.max_api_minor)},
      {"Docker-Experimental", "false"},
      {"Ostype", "linux"},
      {"Server", "berth (linux)"},
  };
  for (const auto& [name, value] : opts.common_headers) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return lower(p.first) == lower(name); });
    if (it != out.end())
      it->second = value;
    else
      out.emplace_back(name, value);
  }
  return out;
}

// Idle workers kept for the next connections; more end once they are done.
constexpr size_t kKeepIdleWorkers = 4;
// How long the pool stays idle before free heap goes back to the kernel.
constexpr auto kTrimAfterIdle = std::chrono::seconds(1);

void worker(std::shared_ptr<ServerShared> s) {
  std::unique_lock lk(s->mu);
  auto ready = [&] { return !s->queue.empty() || s->stopping; };
  while (true) {
    // Enough idle workers already: end (once the free heap went back).
    if (s->queue.empty() && (s->stopping || (s->idle_workers >= kKeepIdleWorkers && s->trimmed))) return;
    ++s->idle_workers;
    bool got = true;
    if (s->trimmed || s->busy_workers > 0) {
      s->work_cv.wait(lk, ready);  // the last busy worker trims when it is done
    } else if (!(got = s->work_cv.wait_for(lk, kTrimAfterIdle, ready)) && !s->trimmed) {
      // Idle a while after a request that may have used megabytes (an image
      // load, an export): give the free heap back, so an idle daemon stays
      // small. Not per connection: the next one faulted it all in again. Once:
      // the other idle workers that time out with it find it done.
      s->trimmed = true;
      lk.unlock();
      malloc_trim(0);
      lk.lock();
    }
    --s->idle_workers;
    if (!got || s->queue.empty()) continue;
    UniqueFd fd(s->queue.front());
    s->queue.pop_front();
    ++s->busy_workers;
    lk.unlock();
    serve_connection(s, std::move(fd));
    lk.lock();
    --s->busy_workers;
    s->trimmed = false;
  }
}

}  // namespace

struct Server::Impl {
  struct Listener {
    UniqueFd fd;
    std::string address;
    bool tcp = false;
    std::string unix_path;  // removed on destruction if it is still our socket
    dev_t dev = 0;
    ino_t ino = 0;
  };

  std::shared_ptr<ServerShared> shared = std::make_shared<ServerShared>();
  std::vector<Listener> listeners;
  UniqueFd wake_read, wake_write;
  std::atomic<bool> stop_requested{false};

  Result<void> listen_unix(const std::string& path, mode_t mode, const std::string& group);
  Result<void> listen_tcp(const std::string& hostport);
  void accept_one(Listener& l);

  ~Impl() {
    {
      std::lock_guard lock(shared->mu);
      shared->stopping = true;
    }
    for (const Listener& l : listeners) {
      struct stat st;
      if (!l.unix_path.empty() && ::lstat(l.unix_path.c_str(), &st) == 0 && st.st_dev == l.dev &&
          st.st_ino == l.ino)
        ::unlink(l.unix_path.c_str());
    }
  }
};

Server::Server(Router router, ServerOptions opts) : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_->shared;
  s.router = std::move(router);
  s.opts = std::move(opts);
  s.common_header_list = common_headers_for(s.opts);
  for (const auto& [k, v] : s.common_header_list) s.common_headers += k + ": " + v + "\r\n";
  int p[2];
  // Failure leaves the fds invalid; run() reports it.
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
    impl_->wake_read.reset(p[0]);
    impl_->wake_write.reset(p[1]);
  }
}

Server::~Server() = default;

Result<void> Server::Impl::listen_unix(const std::string& path, mode_t mode, const std::string& group) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return fail(Errc::InvalidArgument, fmt::format("socket path \"{}\": empty or longer than {} bytes", path,
                                                   sizeof addr.sun_path - 1));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    // A socket left by a previous daemon is replaced; anything else is not ours.
    if (!S_ISSOCK(st.st_mode))
      return fail(Errc::AlreadyExists, fmt::format("listening on {}: the path exists and is not a socket", path));
    if (::unlink(path.c_str()) != 0) return fail_errno(fmt::format("removing the stale socket {}", path));
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail_errno("creating a UNIX socket");
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno(fmt::format("binding {}", path));
  // Permissions before listen(), so nobody connects through a wider mode.
  if (::chmod(path.c_str(), mode) != 0) return fail_errno(fmt::format("chmod {:o} {}", mode, path));
  if (!group.empty()) {
    struct group grp_entry{};
    struct group* found = nullptr;
    char buf[4096];
    if (::getgrnam_r(group.c_str(), &grp_entry, buf, sizeof buf, &found) == 0 && found) {
      uid_t owner = ::geteuid() == 0 ? 0 : static_cast<uid_t>(-1);
      if (::chown(path.c_str(), owner, found->gr_gid) != 0)
        return fail_errno(fmt::format("chown root:{} {}", group, path));
    } else {
      log::debug("http: group {} does not exist; {} keeps its group", group, path);
    }
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) return fail_errno(fmt::format("listening on {}", path));
  if (::stat(path.c_str(), &st) != 0) return fail_errno(fmt::format("stat {}", path));
  Listener l;
  l.fd = std::move(fd);
  l.address = "unix://" + path;
  l.unix_path = path;
  l.dev = st.st_dev;
  l.ino = st.st_ino;
  listeners.push_back(std::move(l));
  return {};
}

Result<void> Server::Impl::listen_tcp(const std::string& hostport) {
  std::string host, port;
  if (!hostport.empty() && hostport[0] == '[') {  // [::1]:2375
    size_t close = hostport.find("]:");
    if (close == hostport.npos) return fail(Errc::InvalidArgument, fmt::format("bad TCP address \"{}\"", hostport));
    host = hostport.substr(1, close - 1);
    port = hostport.substr(close + 2);
  } else {
    size_t colon = hostport.rfind(':');
    if (colon == hostport.npos)
      return fail(Errc::InvalidArgument, fmt::format("TCP address \"{}\" has no port", hostport));
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0)
    return fail(Errc::InvalidArgument, fmt::format("resolving {}: {}", hostport, ::gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, ::freeaddrinfo);
  int last_errno = 0;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!fd) {
      last_errno = errno;
      continue;
    }
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
      last_errno = errno;
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
    char hbuf[NI_MAXHOST], sbuf[NI_MAXSERV];
    ::getnameinfo(reinterpret_cast<sockaddr*>(&bound), len, hbuf, sizeof hbuf, sbuf, sizeof sbuf,
                  NI_NUMERICHOST | NI_NUMERICSERV);
    Listener l;
    l.fd = std::move(fd);
    l.tcp = true;
    l.address = bound.ss_family == AF_INET6 ? fmt::format("tcp://[{}]:{}", hbuf, sbuf)
                                            : fmt::format("tcp://{}:{}", hbuf, sbuf);
    listeners.push_back(std::move(l));
    return {};
  }
  return fail_errno(fmt::format("listening on tcp://{}", hostport), last_errno);
}

Result<void> Server::listen(const std::string& address, mode_t mode, const std::string& group) {
  if (address.starts_with("unix://")) return impl_->listen_unix(address.substr(7), mode, group);
  if (address.starts_with("/")) return impl_->listen_unix(address, mode, group);
  if (address.starts_with("tcp://")) return impl_->listen_tcp(address.substr(6));
  return fail(Errc::InvalidArgument,
              fmt::format("cannot listen on \"{}\": use unix:///path or tcp://host:port", address));
}

std::vector<std::string> Server::addresses() const {
  std::vector<std::string> out;
  for (const auto& l : impl_->listeners) out.push_back(l.address);
  return out;
}

void Server::Impl::accept_one(Listener& l) {
  int c = ::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) {
    if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
    int err = errno;
    log::warn("http: accepting on {}: {}", l.address, std::strerror(err));
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
      // Out of descriptors: back off instead of spinning on a ready listener.
      pollfd p{wake_read.get(), POLLIN, 0};
      ::poll(&p, 1, 100);
    }
    return;
  }
  UniqueFd conn(c);
  if (l.tcp) {
    int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  bool start_worker;
  {
    std::lock_guard lk(shared->mu);
    shared->queue.push_back(conn.release());
    start_worker = shared->idle_workers < shared->queue.size();
  }
  shared->work_cv.notify_one();
  if (!start_worker) return;
  try {
    std::thread(worker, shared).detach();
  } catch (const std::system_error& e) {
    log::error("http: starting a connection worker: {}", e.what());
    // Left queued, a busy worker takes it when it is done; with none, drop it.
    std::lock_guard lk(shared->mu);
    if (shared->busy_workers == 0 && shared->idle_workers == 0) {
      auto it = std::find(shared->queue.begin(), shared->queue.end(), c);
      if (it != shared->queue.end()) {
        shared->queue.erase(it);
        ::close(c);
      }
    }
  }
}

Result<void> Server::run() {
  Impl& im = *impl_;
  if (!im.wake_read) return fail(Errc::Internal, "the server's wake-up pipe could not be created");
  if (im.listeners.empty()) return fail(Errc::InvalidArgument, "the server listens on no address");
  std::vector<pollfd> fds;
  for (const auto& l : im.listeners) fds.push_back({l.fd.get(), POLLIN, 0});
  fds.push_back({im.wake_read.get(), POLLIN, 0});
  while (!im.stop_requested.load()) {
    int r = ::poll(fds.data(), fds.size(), -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail_errno("waiting for connections");
    }
    if (fds.back().revents) break;
    for (size_t i = 0; i + 1 < fds.size(); ++i)
      if (fds[i].revents & POLLIN) im.accept_one(im.listeners[i]);
  }
  // Closed listeners refuse new connections at once (the backlog is dropped);
  // the socket files stay until the Server is destroyed.
  for (auto& l : im.listeners) l.fd.reset();
  {
    std::lock_guard lock(im.shared->mu);
    im.shared->stopping = true;
    for (const auto& [fd, idle] : im.shared->connections)
      if (idle) ::shutdown(fd, SHUT_RDWR);
  }
  im.shared->work_cv.notify_all();  // idle workers end; queued connections are closed by their worker
  return {};
}

void Server::stop() {
  if (impl_->stop_requested.exchange(true)) return;
  char c = 1;
  // Nothing to do on failure: the pipe is non-blocking and one byte wakes run().
  [[maybe_unused]] ssize_t n = ::write(impl_->wake_write.get(), &c, 1);
}

}  // namespace berth::server
