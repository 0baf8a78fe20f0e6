// Attaching clients to a container's stdio: output frames come from the
// shim follower (start.cc); this side registers the client, forwards its
// stdin (watching for the detach keys) and returns when the client is done.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "engine/detach_keys.h"
#include "engine/container_service.h"
#include "engine/socket_io.h"
#include "logs/log_reader.h"

namespace berth::engine {
Result<bool> ContainerService::has_tty(const std::string& ref) {
  auto c = TRY(find(ref));
  std::lock_guard lk(mu_);
  return c->tty();
}

Result<void> ContainerService::attach(const std::string& ref, const backend::AttachOptions& opts, UniqueFd client,
                                      std::string buffered) {
  auto c = TRY(find(ref));
  auto keys = TRY(DetachKeys::parse(opts.detach_keys));
  auto a = std::make_shared<Attacher>();
  a->want_stdout = opts.stdout;
  a->want_stderr = opts.stderr;
  a->tty = c->tty();
  a->wake = UniqueFd(::eventfd(0, EFD_CLOEXEC));
  int client_fd = client.get();
  a->fd = std::move(client);

  if (opts.logs) {
    logs::LogReadOptions lo;
    lo.stdout = opts.stdout;
    lo.stderr = opts.stderr;
    std::string driver, path;
    {
      std::lock_guard lk(mu_);
      driver = c->spec.host.log_config.driver;
      path = c->log_path;
    }
    // Nothing to replay from a driver that keeps nothing readable.
    if (auto reader = logs::open_log_reader(driver, path)) (void)(*reader)->read(lo, [&](const logs::LogEntry& e) {
      auto type = e.stream == "stderr" ? task::Stream::Stderr : task::Stream::Stdout;
      send_all(client_fd, a->tty ? e.log : mux_frame(type, e.log));
      return true;
    });
  }
  if (!opts.stream) return {};
  bool stdin_once;
  {
    std::lock_guard lk(mu_);
    if (c->removed) return fail(Errc::NotFound, "No such container: " + ref);
    stdin_once = c->spec.config.stdin_once;
    c->attachers.push_back(a);
    publish(*c, "attach");  // as dockerd: a client's streams are attached from now on
  }
  if (opts.on_attached) opts.on_attached();
  auto detach = [&] {
    std::lock_guard lk(mu_);
    std::erase(c->attachers, a);
    std::lock_guard wl(a->write_mu);
    a->closed = true;
  };

  bool want_stdin = opts.stdin && c->spec.config.open_stdin;
  bool input_open = want_stdin;
  bool peer_write_closed = false;
  KeyMatcher matcher(keys);
  std::string pending = std::move(buffered);
  std::vector<char> buf(32 * 1024);
  for (;;) {
    if (!pending.empty() && input_open) {
      // As Docker: the detach keys are a terminal's; other input (a file, a pipe) passes whole.
      auto [data, detached] = a->tty ? matcher.feed(pending) : std::pair<std::string, bool>{std::move(pending), false};
      pending.clear();
      if (!data.empty()) {
        std::shared_ptr<task::Task> t;
        {
          std::lock_guard lk(mu_);
          t = c->task;
          if (!t && (!c->ever_started || !c->state.running)) c->pending_stdin += data;
        }
        if (t) (void)t->write_stdin(data);
      }
      if (detached) {
        detach();
        std::lock_guard lk(mu_);
        publish(*c, "detach");
        return {};
      }
    }
    // Without input, only the client closing matters: a half-close (the CLI
    // shuts its write side even without stdin) is not the end of the output.
    short events = input_open ? POLLIN : peer_write_closed ? 0 : POLLRDHUP;
    pollfd fds[2] = {{a->wake.get(), POLLIN, 0}, {client_fd, events, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    {
      std::lock_guard wl(a->write_mu);
      if (a->closed) break;
    }
    if (fds[0].revents) break;
    if (!fds[1].revents) continue;
    if (fds[1].revents & (POLLHUP | POLLERR)) break;  // the client went away
    if (!input_open) {
      if (fds[1].revents & POLLRDHUP) peer_write_closed = true;
      continue;
    }
    ssize_t got = ::read(client_fd, buf.data(), buf.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      // Stdin ended (the client half-closed): with StdinOnce the process gets EOF.
      input_open = false;
      peer_write_closed = true;
      if (stdin_once) {
        std::shared_ptr<task::Task> t;
        {
          std::lock_guard lk(mu_);
          t = c->task;
          if (!t) c->pending_close_stdin = true;
        }
        if (t) (void)t->close_stdin();
      }
      if (got < 0) break;
      continue;
    }
    pending.assign(buf.data(), got);
  }
  detach();
  return {};
}

}  // namespace berth::engine
