#include "shim/monitor.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>

#include "base/clock.h"
#include "base/file.h"
#include "base/log.h"
#include "runtime/container.h"
#include "shim/requests.h"
#include "shimproto/request.h"

namespace berth::shim {

struct Conn {
  // Stream: the daemon's connection for the process's stdio (the inherited
  // fd 3, or one that sent anything but Control first). Control: requests
  // only, never paused, sent no output. Unknown: accepted, nothing read yet.
  enum class Kind : uint8_t { Unknown, Stream, Control };
  Kind kind = Kind::Unknown;
  UniqueFd fd;
  FrameDecoder decoder;
  std::string pending;  // frames the socket has not taken yet
  size_t pending_off = 0;
  uint32_t events = 0;  // as registered with epoll
  int64_t progress_ms = 0;  // when the socket last took bytes (or the connection came)
  bool dead = false;
  Monitor::Watch watch{Monitor::Tag::Conn, this};
};

namespace {

// One buffer for every read: the shim handles one event at a time.
char g_buf[32 * 1024];

// The process's output waits (its pipe fills and its writes block) while a
// stdio connection holds more than kOutputHigh, and goes on below kOutputLow:
// an attached client that reads slowly gets every byte at its own pace, as
// with Docker. Dropping the connection instead (the daemon reconnects; the log
// has everything) left a gap in what an attached client or an exec's caller
// saw. Only a connection that takes nothing for Options::output_stall_ms is
// dropped, so that a hung daemon does not stop its containers for ever.
constexpr size_t kOutputHigh = 1 << 20;
constexpr size_t kOutputLow = 256 << 10;
// Replies and frames other than output, queued for a connection that never
// reads, are capped here.
constexpr size_t kMaxPending = 8 << 20;
// Stdin the process does not read: stop taking frames until it does.
constexpr size_t kStdinHigh = 1 << 20;
// At exit, how long slow connections get to take more of the last output and
// frames before they are given up (counted from the last bytes they took).
constexpr int kExitFlushMs = 2000;
// At exit, output still in the pipes is read up to this much (a leftover
// process of an exec could write forever).
constexpr size_t kDrainLimit = 8 << 20;

int64_t now_ms() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

Monitor::Monitor(const Options& opts, ContainerStdio stdio, std::unique_ptr<logs::LogWriter> log, pid_t pid,
                 int state_dirfd)
    : opts_(opts), stdio_(std::move(stdio)), log_(std::move(log)), pid_(pid), state_dirfd_(state_dirfd) {
  state_.pid = pid;
}

Monitor::~Monitor() = default;

Result<void> Monitor::watch(int fd, uint32_t events, Watch* w) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = w;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return fail_errno("epoll_ctl ADD fd " + std::to_string(fd));
  return {};
}

void Monitor::unwatch(int fd) { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }

Result<void> Monitor::init(UniqueFd listen, UniqueFd daemon_conn) {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return fail_errno("epoll_create1");
  // SIGCHLD is blocked only now (hooks and the container inherit the mask
  // of create); a child that exited before is still a zombie, and
  // reap_children() below finds it.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (::sigprocmask(SIG_BLOCK, &chld, nullptr) != 0) return fail_errno("blocking SIGCHLD");
  signal_fd_.reset(::signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_) return fail_errno("signalfd for SIGCHLD");
  TRYV(watch(signal_fd_.get(), EPOLLIN, &signal_watch_));
  listen_ = std::move(listen);
  TRYV(watch(listen_.get(), EPOLLIN, &listen_watch_));
  if (stdio_.out) {
    TRYV(watch(stdio_.out.get(), EPOLLIN, &out_watch_));
    out_open_ = true;
  }
  if (stdio_.err) {
    TRYV(watch(stdio_.err.get(), EPOLLIN, &err_watch_));
    err_open_ = true;
  }
  if (daemon_conn) {
    add_conn(std::move(daemon_conn));
    if (!conns_.empty()) conns_.back()->kind = Conn::Kind::Stream;
  }
  reap_children();
  return {};
}

void Monitor::add_conn(UniqueFd fd) {
  int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl | O_NONBLOCK) != 0) return;
  auto c = std::make_unique<Conn>();
  c->fd = std::move(fd);
  c->progress_ms = now_ms();
  c->events = EPOLLIN;  // read at least its first frame, which says what it is
  if (!watch(c->fd.get(), c->events, &c->watch)) return;
  conns_.push_back(std::move(c));
}

void Monitor::update_conn_events(Conn& c) {
  if (c.dead) return;
  // Stdin the process does not take pauses the stdio connections only: a
  // request still gets its answer.
  bool read = c.kind != Conn::Kind::Stream || !stdin_paused_;
  uint32_t want = (read ? static_cast<uint32_t>(EPOLLIN) : 0u) |
                  (c.pending.size() > c.pending_off ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  if (want == c.events) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = &c.watch;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev) == 0) c.events = want;
}

void Monitor::send_to(Conn& c, Frame type, std::string_view payload) {
  if (c.dead) return;
  char header[kHeaderSize];
  encode_header(type, static_cast<uint32_t>(payload.size()), header);
  size_t sent = 0;
  if (c.pending.size() == c.pending_off) {
    iovec iov[2] = {{header, kHeaderSize}, {const_cast<char*>(payload.data()), payload.size()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    ssize_t n;
    do {
      n = ::sendmsg(c.fd.get(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN) {
      c.dead = true;  // the daemon went away: the container carries on
      return;
    }
    sent = n < 0 ? 0 : static_cast<size_t>(n);
    if (sent > 0) c.progress_ms = now_ms();
    if (sent == kHeaderSize + payload.size()) return;
    c.pending.clear();
    c.pending_off = 0;
  }
  if (sent < kHeaderSize) c.pending.append(header + sent, kHeaderSize - sent);
  size_t in_payload = sent > kHeaderSize ? sent - kHeaderSize : 0;
  c.pending.append(payload.substr(in_payload));
  if (c.pending.size() - c.pending_off > kMaxPending) {
    log::warn("dropping a connection that does not read its replies ({} bytes queued)", c.pending.size() - c.pending_off);
    c.dead = true;
    return;
  }
  update_conn_events(c);
}

void Monitor::broadcast(Frame type, std::string_view payload) {
  for (auto& c : conns_)
    if (c->kind != Conn::Kind::Control) send_to(*c, type, payload);
}

void Monitor::on_conn_writable(Conn& c) {
  while (c.pending_off < c.pending.size()) {
    ssize_t n = ::send(c.fd.get(), c.pending.data() + c.pending_off, c.pending.size() - c.pending_off,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) c.dead = true;
      break;
    }
    c.pending_off += static_cast<size_t>(n);
    c.progress_ms = now_ms();
  }
  if (c.pending_off == c.pending.size()) {
    c.pending.clear();
    c.pending.shrink_to_fit();  // a burst should not stay resident
    c.pending_off = 0;
  } else if (c.pending_off > c.pending.size() / 2) {
    // A reader that never quite catches up must not make the buffer grow.
    c.pending.erase(0, c.pending_off);
    c.pending_off = 0;
  }
  update_conn_events(c);
  resume_output_if_taken();
}

size_t Monitor::stream_backlog() const {
  size_t most = 0;
  for (const auto& c : conns_)
    if (!c->dead && c->kind != Conn::Kind::Control) most = std::max(most, c->pending.size() - c->pending_off);
  return most;
}

void Monitor::hold_output(bool held) {
  if (held == output_held_) return;
  output_held_ = held;
  // Not watched while held (a pipe whose writer left would report EPOLLHUP
  // at every wait, whatever the event mask).
  if (held) {
    if (out_open_) unwatch(stdio_.out.get());
    if (err_open_) unwatch(stdio_.err.get());
    return;
  }
  if (out_open_ && !watch(stdio_.out.get(), EPOLLIN, &out_watch_)) out_open_ = false;
  if (err_open_ && !watch(stdio_.err.get(), EPOLLIN, &err_watch_)) err_open_ = false;
}

void Monitor::resume_output_if_taken() {
  if (output_held_ && stream_backlog() <= kOutputLow) hold_output(false);
}

namespace {
// A live stdio connection with more queued than kOutputLow: what holds the output back.
bool holds_output_back(const Conn& c) {
  return !c.dead && c.kind != Conn::Kind::Control && c.pending.size() - c.pending_off > kOutputLow;
}
}  // namespace

int Monitor::stall_timeout_ms() const {
  if (!output_held_) return -1;
  int64_t now = now_ms(), soonest = -1;
  for (const auto& c : conns_) {
    if (!holds_output_back(*c)) continue;
    int64_t due = std::max<int64_t>(0, c->progress_ms + opts_.output_stall_ms - now);
    if (soonest < 0 || due < soonest) soonest = due;
  }
  return static_cast<int>(soonest);
}

void Monitor::drop_stalled_conns(int stall_ms) {
  int64_t now = now_ms();
  for (auto& c : conns_) {
    if (!holds_output_back(*c) || now - c->progress_ms < stall_ms) continue;
    log::warn("dropping a connection that took no output for {} ms ({} bytes queued)", now - c->progress_ms,
              c->pending.size() - c->pending_off);
    c->dead = true;
  }
}

void Monitor::on_conn_readable(Conn& c) {
  ssize_t n = ::read(c.fd.get(), g_buf, sizeof g_buf);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    c.dead = true;
    return;
  }
  if (n < 0) return;
  c.decoder.feed(std::string_view(g_buf, static_cast<size_t>(n)));
  while (!c.dead) {
    auto frame = c.decoder.next();
    if (!frame) {
      log::warn("dropping a connection: {}", frame.error().str());
      c.dead = true;
      return;
    }
    if (!*frame) return;
    on_frame(c, (*frame)->first, (*frame)->second);
  }
}

void Monitor::on_frame(Conn& c, Frame type, const std::string& payload) {
  if (c.kind == Conn::Kind::Unknown) {
    c.kind = type == Frame::Control ? Conn::Kind::Control : Conn::Kind::Stream;
    update_conn_events(c);  // a stdio connection is paused with stdin
  }
  if (type == Frame::Request) return on_request(c, payload);
  if (type == Frame::Hello) return send_to(c, Frame::State, state_.to_json().dump());
  // Stdio is for the stdio connections, and only while the process runs.
  if (c.kind == Conn::Kind::Control || state_.exited) return;
  switch (type) {
    case Frame::Stdin:
      if (!stdio_.in || stdin_close_requested_) return;
      stdin_queue_.append(payload);
      flush_stdin();
      return;
    case Frame::CloseStdin:
      if (!stdio_.in) return;
      stdin_close_requested_ = true;
      flush_stdin();
      return;
    case Frame::Resize: {
      if (!stdio_.tty || !stdio_.out) return;
      auto j = nlohmann::json::parse(payload, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("h") || !j["h"].is_number_unsigned() ||
          !j.contains("w") || !j["w"].is_number_unsigned()) {
        log::warn("ignoring a malformed Resize frame: {}", payload);
        return;
      }
      winsize ws{};
      ws.ws_row = static_cast<unsigned short>(j["h"].get<unsigned>());
      ws.ws_col = static_cast<unsigned short>(j["w"].get<unsigned>());
      if (::ioctl(stdio_.out.get(), TIOCSWINSZ, &ws) != 0) log::warn("resizing the terminal: {}", std::strerror(errno));
      return;
    }
    default:
      return;  // frames for the other direction, or from a newer daemon
  }
}

void Monitor::on_request(Conn& c, const std::string& payload) {
  auto request = shimproto::Request::decode(payload);
  if (!request) {
    // Without an id there is nobody to answer.
    log::warn("ignoring a malformed request: {}", request.error().str());
    return;
  }
  shimproto::Reply reply{request->id, nlohmann::json()};
  if (!state_.exited) reap_children();  // an exit not yet seen through SIGCHLD counts
  if (state_.exited || wait_status_) {
    reply.outcome = fail(Errc::Conflict, (opts_.exec_mode() ? "the exec's process has exited"
                                                            : "the container's process has exited"));
  } else if (request->op == shimproto::op::kReopenLog && !opts_.exec_mode()) {
    reply.outcome = reopen_log();
  } else {
    reply.outcome = answer_request(opts_, pid_, *request);
  }
  send_to(c, Frame::Reply, reply.encode());
}

Result<nlohmann::json> Monitor::reopen_log() {
  // What waits for its line end goes to the old file; the new one starts clean.
  if (log_) (void)log_->flush();
  auto reopened = logs::open_log_writer(opts_.log_driver, opts_.log_path, opts_.log_options);
  if (!reopened) return std::unexpected(reopened.error().wrap("reopening the log " + opts_.log_path));
  log_ = std::move(*reopened);
  return nlohmann::json();
}

void Monitor::flush_stdin() {
  while (stdin_off_ < stdin_queue_.size()) {
    ssize_t n = ::write(stdio_.in.get(), stdin_queue_.data() + stdin_off_, stdin_queue_.size() - stdin_off_);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        if (!stdin_watched_ && watch(stdio_.in.get(), EPOLLOUT, &stdin_watch_)) stdin_watched_ = true;
        set_stdin_paused(stdin_queue_.size() - stdin_off_ > kStdinHigh);
        return;
      }
      // The process closed its stdin (EPIPE): what it did not read is dropped.
      stdin_queue_.clear();
      stdin_off_ = 0;
      close_stdin();
      return;
    }
    stdin_off_ += static_cast<size_t>(n);
  }
  stdin_queue_.clear();
  if (stdin_queue_.capacity() > sizeof g_buf) stdin_queue_.shrink_to_fit();
  stdin_off_ = 0;
  if (stdin_watched_) {
    unwatch(stdio_.in.get());
    stdin_watched_ = false;
  }
  set_stdin_paused(false);
  if (stdin_close_requested_) close_stdin();
}

void Monitor::close_stdin() {
  if (!stdio_.in) return;
  if (stdin_watched_) unwatch(stdio_.in.get());
  stdin_watched_ = false;
  if (stdio_.tty) {
    // A pty cannot be half-closed: the line discipline's EOF character ends
    // the input of a reading program, as it does at a keyboard.
    termios t{};
    char eof = ::tcgetattr(stdio_.in.get(), &t) == 0 ? static_cast<char>(t.c_cc[VEOF]) : '\x04';
    // An EOF character disabled (_POSIX_VDISABLE, a NUL here) is not sent:
    // the program would read a stray NUL byte.
    if (eof != '\0') (void)!::write(stdio_.in.get(), &eof, 1);
  }
  stdio_.in.reset();
  set_stdin_paused(false);
}

void Monitor::set_stdin_paused(bool paused) {
  if (paused == stdin_paused_) return;
  stdin_paused_ = paused;
  for (auto& c : conns_) update_conn_events(*c);
}

void Monitor::sweep_conns() {
  for (auto it = conns_.begin(); it != conns_.end();) {
    if ((*it)->dead) {
      unwatch((*it)->fd.get());
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
  resume_output_if_taken();  // the one that held it back may be gone
}

ssize_t Monitor::on_output(Tag stream, size_t budget) {
  UniqueFd& fd = stream == Tag::Stdout ? stdio_.out : stdio_.err;
  Frame frame = stream == Tag::Stdout ? Frame::Stdout : Frame::Stderr;
  size_t total = 0;
  while (total < budget && !output_held_) {
    ssize_t n = ::read(fd.get(), g_buf, std::min(sizeof g_buf, budget - total));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) return -1;  // EOF, or EIO from a pty whose other side is closed
    std::string_view data(g_buf, static_cast<size_t>(n));
    if (log_ && !log_failed_) {
      if (auto r = log_->write(stream == Tag::Stdout ? logs::Stream::Stdout : logs::Stream::Stderr, data); !r) {
        log::warn("{} (container output is no longer logged)", r.error().str());
        log_failed_ = true;
      }
    }
    broadcast(frame, data);
    total += data.size();
    if (stream_backlog() > kOutputHigh) hold_output(true);
  }
  return static_cast<ssize_t>(total);
}

void Monitor::reap_children() {
  int status = 0;
  pid_t r;
  // The process, and anything reparented to this subreaper.
  while ((r = ::waitpid(-1, &status, WNOHANG)) > 0)
    if (r == pid_) wait_status_ = status;
}

void Monitor::on_event(const Watch& w, uint32_t events) {
  switch (w.tag) {
    case Tag::Signal: {
      signalfd_siginfo si[8];
      while (::read(signal_fd_.get(), si, sizeof si) > 0) {
      }
      reap_children();
      return;
    }
    case Tag::Listen: {
      UniqueFd c(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (c) add_conn(std::move(c));
      return;
    }
    case Tag::Stdout:
    case Tag::Stderr:
      // Still in this batch after the output was held: it waits too.
      if (output_held_) return;
      if (on_output(w.tag, sizeof g_buf) < 0) {
        UniqueFd& fd = w.tag == Tag::Stdout ? stdio_.out : stdio_.err;
        unwatch(fd.get());
        (w.tag == Tag::Stdout ? out_open_ : err_open_) = false;
        if (!stdio_.tty) fd.reset();  // a pty master stays for Resize
      }
      return;
    case Tag::Stdin:
      flush_stdin();
      return;
    case Tag::Conn:
      if (w.conn->dead) return;
      if (events & EPOLLOUT) on_conn_writable(*w.conn);
      if (!w.conn->dead && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_conn_readable(*w.conn);
      return;
  }
}

Result<ExitStatus> Monitor::run() {
  epoll_event evs[16];
  while (!wait_status_) {
    int n = ::epoll_wait(epoll_.get(), evs, 16, stall_timeout_ms());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("epoll_wait");
    }
    for (int i = 0; i < n; ++i) on_event(*static_cast<Watch*>(evs[i].data.ptr), evs[i].events);
    if (n == 0) drop_stalled_conns(opts_.output_stall_ms);
    sweep_conns();
  }
  return finish();
}

bool Monitor::wait_for_conns(int64_t& progress_at_ms) {
  int64_t left = progress_at_ms + kExitFlushMs - now_ms();
  if (left <= 0) return false;
  epoll_event evs[16];
  int n = ::epoll_wait(epoll_.get(), evs, 16, static_cast<int>(left));
  if (n < 0 && errno != EINTR) return false;
  for (int i = 0; i < n; ++i) {
    auto* w = static_cast<Watch*>(evs[i].data.ptr);
    if (w->tag != Tag::Conn) {
      // Output is read by the caller; stdin is too late (discarded); a new
      // connection and SIGCHLD are handled as while the process ran.
      if (w->tag == Tag::Listen || w->tag == Tag::Signal) on_event(*w, evs[i].events);
      continue;
    }
    if (w->conn->dead) continue;
    size_t before = w->conn->pending.size() - w->conn->pending_off;
    if (evs[i].events & EPOLLOUT) on_conn_writable(*w->conn);
    // Requests are answered Conflict from here.
    if (!w->conn->dead && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_conn_readable(*w->conn);
    if (!w->conn->dead && w->conn->pending.size() - w->conn->pending_off < before) progress_at_ms = now_ms();
  }
  sweep_conns();
  return true;
}

Result<ExitStatus> Monitor::finish() {
  // What the process wrote before it exited is in the pipes (or the pty) now:
  // read on at the connections' pace, up to kDrainLimit (a process left
  // behind by an exec could write for ever).
  if (stdin_watched_) unwatch(stdio_.in.get());
  stdin_watched_ = false;
  int64_t progress_at = now_ms();
  size_t drained = 0;
  while ((out_open_ || err_open_) && drained < kDrainLimit) {
    if (output_held_) {
      // A connection that took nothing for kExitFlushMs is given up: the rest
      // still goes to the log and to the others.
      if (!wait_for_conns(progress_at)) {
        drop_stalled_conns(kExitFlushMs);
        sweep_conns();
        progress_at = now_ms();
      }
      continue;
    }
    bool got = false;
    for (Tag t : {Tag::Stdout, Tag::Stderr}) {
      bool& open = t == Tag::Stdout ? out_open_ : err_open_;
      if (!open || output_held_ || drained >= kDrainLimit) continue;
      ssize_t n = on_output(t, kDrainLimit - drained);
      if (n < 0) {
        unwatch((t == Tag::Stdout ? stdio_.out : stdio_.err).get());
        open = false;
      } else {
        drained += static_cast<size_t>(n);
        got |= n > 0;
      }
    }
    if (!got && !output_held_) break;  // nothing more in the pipes now
  }
  if (log_ && !log_failed_)
    if (auto r = log_->flush(); !r) log::warn("{}", r.error().str());

  ExitStatus st;
  st.exit_code = exit_code_of(*wait_status_);
  runtime::RuntimeContext ctx{opts_.runtime_root};
  if (!opts_.exec_mode() && !opts_.vm_mode()) {
    auto oom = runtime::container_oom_killed(ctx, opts_.id);
    st.oom_killed = oom && *oom;
  }
  st.finished_at = rfc3339_now();
  if (auto r = write_file_atomic(opts_.state_dir + "/exit.json", st.to_json().dump(), 0644, false); !r)
    log::error("{}", r.error().str());
  reap_children();

  // Only the connections matter from here. No new ones: a daemon that comes
  // later reads exit.json.
  unwatch(signal_fd_.get());
  if (out_open_ && !output_held_) unwatch(stdio_.out.get());
  if (err_open_ && !output_held_) unwatch(stdio_.err.get());
  out_open_ = err_open_ = false;  // nothing is read from here
  unwatch(listen_.get());
  listen_.reset();
  ::unlinkat(state_dirfd_, "shim.sock", 0);
  state_.exited = st;
  broadcast(Frame::Exited, st.to_json().dump());
  sweep_conns();

  progress_at = now_ms();
  while (true) {
    bool waiting = false;
    for (auto& c : conns_) waiting |= c->pending_off < c->pending.size();
    if (!waiting || !wait_for_conns(progress_at)) break;
  }
  // The container's cgroups and runtime state go after Exited: the daemon
  // tidies up its side meanwhile, and waits for this process to end (it reaps
  // it) before it starts the container again.
  if (!opts_.exec_mode() && !opts_.vm_mode())
    if (auto r = runtime::delete_container(ctx, opts_.id, true); !r) log::error("{}", r.error().str());
  return st;
}

}  // namespace berth::shim
