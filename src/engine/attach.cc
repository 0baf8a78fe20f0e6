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
#include "engine/engine.h"
#include "engine/socket_io.h"
#include "logs/log_reader.h"
#include "shimproto/protocol.h"

namespace berth::engine {
Result<bool> Engine::is_tty(const std::string& ref) {
  auto c = TRY(find(ref));
  return c->tty;
}

Result<void> Engine::attach(const std::string& ref, const AttachOptions& opts, UniqueFd client, std::string buffered) {
  auto c = TRY(find(ref));
  auto keys = TRY(DetachKeys::parse(opts.detach_keys));
  auto a = std::make_shared<Attacher>();
  a->want_stdout = opts.stdout;
  a->want_stderr = opts.stderr;
  a->tty = c->tty;
  a->wake = UniqueFd(::eventfd(0, EFD_CLOEXEC));
  int client_fd = client.get();
  a->fd = std::move(client);

  if (opts.logs) {
    logs::LogReadOptions lo;
    lo.stdout = opts.stdout;
    lo.stderr = opts.stderr;
    (void)logs::read_json_log(c->log_path, lo, [&](const logs::LogEntry& e) {
      auto type = e.stream == "stderr" ? shimproto::Frame::Stderr : shimproto::Frame::Stdout;
      send_all(client_fd, a->tty ? e.log : shimproto::encode_frame(type, e.log));
      return true;
    });
  }
  if (!opts.stream) return {};
  bool stdin_once;
  {
    std::lock_guard lk(mu_);
    if (c->removed) return fail(Errc::NotFound, "No such container: " + ref);
    stdin_once = c->config.value("StdinOnce", false);
    c->attachers.push_back(a);
  }
  auto detach = [&] {
    std::lock_guard lk(mu_);
    std::erase(c->attachers, a);
    std::lock_guard wl(a->write_mu);
    a->closed = true;
  };

  bool want_stdin = opts.stdin && c->config.value("OpenStdin", false);
  bool input_open = want_stdin;
  bool peer_write_closed = false;
  KeyMatcher matcher(keys);
  std::string pending = std::move(buffered);
  std::vector<char> buf(32 * 1024);
  for (;;) {
    if (!pending.empty() && input_open) {
      auto [data, detached] = matcher.feed(pending);
      pending.clear();
      if (!data.empty()) {
        std::lock_guard lk(mu_);
        if (c->shim_conn) send_to_shim(*c, static_cast<int>(shimproto::Frame::Stdin), data);
        else if (!c->ever_started || !c->state.running) c->pending_stdin += data;
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
        std::lock_guard lk(mu_);
        if (c->shim_conn) send_to_shim(*c, static_cast<int>(shimproto::Frame::CloseStdin), "");
        else c->pending_close_stdin = true;
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
