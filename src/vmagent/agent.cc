#include "vmagent/agent.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/defer.h"
#include "base/file.h"
#include "base/log.h"
#include "runtime/container.h"
#include "vmagent/guest_stats.h"
#include "vmagent/netconfig.h"
#include "vmagent/shares.h"
#include "vmagent/stdio_setup.h"
#include "vmproto/frame.h"

namespace berth::vmagent {

using vmproto::Frame;
using nlohmann::json;

namespace {
constexpr size_t kMaxStdinBuffer = 64u << 20;  // what the agent holds for a process that does not read
}

struct Agent::Proc {
  uint32_t stream = 0;
  std::string container;
  pid_t pid = 0;
  bool is_init = false;
  bool tty = false;
  UniqueFd out, err, in;
  std::string stdin_buf;
  bool stdin_close_pending = false;
  bool out_eof_sent = false, err_eof_sent = false;
  std::optional<vmproto::ExitStatus> exited;
  std::vector<uint64_t> waiters;  // "wait" requests to answer at exit
};

struct Agent::Container {
  std::string id;
  uint32_t init_stream = 0;
  std::vector<std::string> mounts;  // share targets, in mount order
  std::string bundle;
};

Agent::Agent(int channel_fd, AgentOptions opts)
    : channel_fd_(channel_fd), opts_(std::move(opts)), channel_(channel_fd) {}

Agent::~Agent() = default;

std::string Agent::proc_dir(uint32_t stream) const { return opts_.state_root + "/p" + std::to_string(stream); }

Agent::Proc* Agent::proc_by_stream(uint32_t stream) {
  auto it = procs_.find(stream);
  return it == procs_.end() ? nullptr : it->second.get();
}

Agent::Container* Agent::container(const std::string& id) {
  auto it = containers_.find(id);
  return it == containers_.end() ? nullptr : it->second.get();
}

Result<void> Agent::run() {
  // Orphans of the containers' processes come to the agent (it is PID 1 in a
  // guest; a subreaper elsewhere), so every exit is reaped here.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGPIPE);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return fail_errno("blocking SIGCHLD");
  sigdelset(&set, SIGPIPE);
  sigfd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd_) return fail_errno("creating the signalfd");
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return fail_errno("creating the epoll instance");
  int fl = ::fcntl(channel_fd_, F_GETFL);
  if (fl < 0 || ::fcntl(channel_fd_, F_SETFL, fl | O_NONBLOCK) != 0) return fail_errno("making the channel non-blocking");
  TRYV(mkdir_all(opts_.state_root));
  // Edge-triggered: a virtio-serial port without a host polls as hung up
  // until one connects; each connect, disconnect and arrival is one wake-up.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET | EPOLLRDHUP;
  ev.data.fd = channel_fd_;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, channel_fd_, &ev) != 0) return fail_errno("watching the channel");
  ev.events = EPOLLIN;
  ev.data.fd = sigfd_.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, sigfd_.get(), &ev) != 0) return fail_errno("watching the signalfd");

  on_channel();  // bytes that arrived before the loop
  while (!stop_) {
    epoll_event evs[16];
    int n = ::epoll_wait(epoll_.get(), evs, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("epoll_wait");
    }
    for (int i = 0; i < n && !stop_; ++i) {
      int fd = evs[i].data.fd;
      if (fd == channel_fd_) {
        on_channel();
      } else if (fd == sigfd_.get()) {
        signalfd_siginfo si;
        while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
        }
        reap();
      } else if (auto it = fd_owner_.find(fd); it != fd_owner_.end()) {
        Proc* p = proc_by_stream(it->second);
        if (!p) continue;
        if (p->in && fd == p->in.get())
          on_proc_stdin_writable(*p);
        else
          read_output(*p, p->out && fd == p->out.get());
      }
    }
    if (opts_.exit_on_disconnect && !channel_.connected()) break;
  }
  if (shutdown_reply_ && opts_.power_off) opts_.power_off();
  return {};
}

void Agent::on_channel() {
  auto frames = channel_.read_available();
  for (auto& f : frames) on_frame(std::move(f));
}

void Agent::on_frame(vmproto::FrameData f) {
  switch (f.type) {
    case Frame::Hello: {
      auto hello = vmproto::parse_message<vmproto::Hello>(f.payload, "vm agent hello");
      vmproto::Hello mine;
      mine.software = opts_.software;
      mine.kernel = guest_kernel_release();
      channel_.send(Frame::Hello, vmproto::kControlStream, vmproto::dump_json(mine.to_json()));
      if (!hello) {
        log::error("vm agent: bad hello from the host: {}", hello.error().str());
      } else if (auto v = vmproto::negotiate(mine, *hello); !v) {
        log::error("vm agent: {}", v.error().str());
      } else {
        log::info("vm agent: host {} connected, protocol version {}", hello->software, *v);
      }
      return;
    }
    case Frame::Request: {
      auto req = vmproto::parse_message<vmproto::Request>(f.payload, "vm agent request");
      if (!req) {
        // No id to answer: say so on the console; the host's request times out only if it has a bound.
        log::error("vm agent: dropping a request: {}", req.error().str());
        return;
      }
      on_request(*req);
      return;
    }
    case Frame::Stdin: case Frame::StdinEof: case Frame::Resize: {
      Proc* p = proc_by_stream(f.stream);
      if (!p || p->exited) return;  // the process is gone: its input has nowhere to go
      if (f.type == Frame::Stdin) write_stdin(*p, f.payload);
      else if (f.type == Frame::StdinEof) close_stdin(*p);
      else resize(*p, f.payload);
      return;
    }
    default:
      log::warn("vm agent: ignoring a {} frame (type {}) from the host", vmproto::frame_name(f.type),
                static_cast<int>(f.type));
  }
}

void Agent::on_request(const vmproto::Request& r) {
  if (r.op == "wait") {
    auto w = vmproto::WaitProcess::from_json(r.args);
    if (!w) return channel_.send(Frame::Reply, 0, vmproto::dump_json(vmproto::Reply::failed(r.id, w.error()).to_json()));
    Proc* p = proc_by_stream(w->stream);
    if (!p) {
      auto e = Error{Errc::NotFound, 0, "no process on stream " + std::to_string(w->stream)};
      return channel_.send(Frame::Reply, 0, vmproto::dump_json(vmproto::Reply::failed(r.id, e).to_json()));
    }
    if (!p->exited) {
      p->waiters.push_back(r.id);
      return;
    }
    return channel_.send(Frame::Reply, 0, vmproto::dump_json(vmproto::Reply::ok(r.id, p->exited->to_json()).to_json()));
  }
  if (r.op == "shutdown") {
    auto done = shutdown();
    channel_.send(Frame::Reply, 0,
                  vmproto::dump_json((done ? vmproto::Reply::ok(r.id) : vmproto::Reply::failed(r.id, done.error())).to_json()));
    shutdown_reply_ = r.id;
    stop_ = true;
    return;
  }
  auto res = handle(r);
  if (!res) log::warn("vm agent: {} failed: {}", r.op, res.error().str());
  auto reply = res ? vmproto::Reply::ok(r.id, std::move(*res)) : vmproto::Reply::failed(r.id, res.error());
  channel_.send(Frame::Reply, 0, vmproto::dump_json(reply.to_json()));
}

Result<json> Agent::handle(const vmproto::Request& r) {
  using namespace vmproto;
  if (r.op == "create") return create(TRY(CreateContainer::from_json(r.args)));
  if (r.op == "start") return start(TRY(ContainerRef::from_json(r.args)));
  if (r.op == "exec") return exec(TRY(ExecProcess::from_json(r.args)));
  if (r.op == "signal") return signal(TRY(SignalProcess::from_json(r.args)));
  if (r.op == "stats") return stats(TRY(ContainerRef::from_json(r.args)));
  if (r.op == "pause" || r.op == "resume") {
    auto ref = TRY(ContainerRef::from_json(r.args));
    if (!container(ref.id)) return fail(Errc::NotFound, "no container \"" + ref.id + "\" in the guest");
    runtime::RuntimeContext ctx{opts_.runtime_root};
    if (r.op == "pause") TRYV(runtime::pause_container(ctx, ref.id));
    else TRYV(runtime::resume_container(ctx, ref.id));
    return json::object();
  }
  if (r.op == "delete") return remove(TRY(ContainerRef::from_json(r.args)));
  if (r.op == "mount") {
    // A share for the VM's life (a pod's, which its containers' paths are under).
    TRYV(mount_share(TRY(Share::from_json(r.args))));
    return json::object();
  }
  if (r.op == "network") {
    TRYV(configure_network(TRY(NetworkConfig::from_json(r.args))));
    return json::object();
  }
  return fail(Errc::Unsupported, "unknown request \"" + r.op.substr(0, 64) + "\" (agent speaks protocol version " +
                                     std::to_string(kProtocolVersion) + ")");
}

Result<json> Agent::create(const vmproto::CreateContainer& c) {
  if (containers_.count(c.id)) return fail(Errc::AlreadyExists, "container \"" + c.id + "\" exists in the guest");
  if (procs_.count(c.stream)) return fail(Errc::AlreadyExists, "stream " + std::to_string(c.stream) + " is in use");
  if (c.config.contains("hooks") && !c.config["hooks"].is_null() && !c.config["hooks"].empty())
    return fail(Errc::Unsupported, "the OCI config has hooks: they are host programs and do not run in the guest");
  auto ctr = std::make_unique<Container>();
  ctr->id = c.id;
  ctr->init_stream = c.stream;
  auto unmount = Defer([&] { unmount_shares(ctr->mounts); });
  for (const auto& s : c.shares) {
    TRYV(mount_share(s));
    ctr->mounts.push_back(s.target);
  }
  ctr->bundle = opts_.state_root + "/bundle-" + c.id;
  ::mkdir(ctr->bundle.c_str(), 0700);
  TRYV(write_file_atomic(ctr->bundle + "/config.json", vmproto::dump_json(c.config), 0600));
  auto drop_bundle = Defer([&] { remove_tree(ctr->bundle); });

  bool tty = c.config["process"].value("terminal", false);
  std::string dir = proc_dir(c.stream);
  auto io = TRY(prepare_stdio(dir, tty, c.stdin_open));
  runtime::RuntimeContext ctx{opts_.runtime_root};
  runtime::CreateOptions o;
  o.id = c.id;
  o.bundle = ctr->bundle;
  o.pid_file = dir + "/pid";
  pid_t pid = TRY(start_with_stdio(
      io,
      [&](const std::string& console) {
        o.console_socket = console;
        return runtime::create_container(ctx, o);
      },
      [&](pid_t) { (void)runtime::delete_container(ctx, c.id, true); }));
  ProcIo pio{std::move(io.stdio.out), std::move(io.stdio.err), std::move(io.stdio.in), tty};
  auto reg = register_proc(c.stream, c.id, pid, std::move(pio), c.tty_size);
  if (!reg) {
    (void)runtime::delete_container(ctx, c.id, true);
    return std::unexpected(reg.error());
  }
  procs_[c.stream]->is_init = true;
  unmount.dismiss();
  drop_bundle.dismiss();
  containers_[c.id] = std::move(ctr);
  return json{{"pid", pid}};
}

Result<json> Agent::start(const vmproto::ContainerRef& c) {
  if (!container(c.id)) return fail(Errc::NotFound, "no container \"" + c.id + "\" in the guest");
  TRYV(runtime::start_container(runtime::RuntimeContext{opts_.runtime_root}, c.id));
  return json::object();
}

Result<json> Agent::exec(const vmproto::ExecProcess& e) {
  if (!container(e.container)) return fail(Errc::NotFound, "no container \"" + e.container + "\" in the guest");
  if (procs_.count(e.stream)) return fail(Errc::AlreadyExists, "stream " + std::to_string(e.stream) + " is in use");
  runtime::ExecOptions x;
  x.process = TRY_CTX(spec::parse_process(vmproto::dump_json(e.process)), "exec process");
  x.detach = true;  // the process stays the agent's child: the loop reaps it
  std::string dir = proc_dir(e.stream);
  auto io = TRY(prepare_stdio(dir, x.process.terminal, e.stdin_open));
  x.pid_file = dir + "/pid";
  runtime::RuntimeContext ctx{opts_.runtime_root};
  pid_t pid = TRY(start_with_stdio(
      io,
      [&](const std::string& console) -> Result<pid_t> {
        x.console_socket = console;
        TRYV(runtime::exec_in_container(ctx, e.container, x));
        return read_pid_file(x.pid_file);
      },
      [](pid_t pid) { ::kill(pid, SIGKILL); }));
  ProcIo pio{std::move(io.stdio.out), std::move(io.stdio.err), std::move(io.stdio.in), x.process.terminal};
  auto reg = register_proc(e.stream, e.container, pid, std::move(pio), e.tty_size);
  if (!reg) {
    ::kill(pid, SIGKILL);
    return std::unexpected(reg.error());
  }
  return json{{"pid", pid}};
}

Result<void> Agent::register_proc(uint32_t stream, const std::string& container, pid_t pid, ProcIo io,
                                  std::optional<vmproto::TtySize> size) {
  auto p = std::make_unique<Proc>();
  p->stream = stream;
  p->container = container;
  p->pid = pid;
  p->tty = io.tty;
  p->out = std::move(io.out);
  p->err = std::move(io.err);
  p->in = std::move(io.in);
  if (p->tty && size && p->out) {
    winsize ws{};
    ws.ws_row = size->rows;
    ws.ws_col = size->cols;
    ::ioctl(p->out.get(), TIOCSWINSZ, &ws);
  }
  for (UniqueFd* fd : {&p->out, &p->err}) {
    if (!*fd) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd->get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd->get(), &ev) != 0) return fail_errno("watching a process's output");
    fd_owner_[fd->get()] = stream;
  }
  if (p->in) fd_owner_[p->in.get()] = stream;  // watched for writability only while input waits
  procs_[stream] = std::move(p);
  return {};
}

void Agent::drop_fd(Proc& p, UniqueFd& fd) {
  if (!fd) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd.get(), nullptr);
  fd_owner_.erase(fd.get());
  fd.reset();
}

Agent::ReadResult Agent::read_output(Proc& p, bool is_out) {
  UniqueFd& fd = is_out ? p.out : p.err;
  if (!fd) return ReadResult::Eof;
  char buf[vmproto::kDataChunk];
  ssize_t n;
  do n = ::read(fd.get(), buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return ReadResult::Again;
  if (n > 0) {
    channel_.send(is_out ? Frame::Stdout : Frame::Stderr, p.stream, std::string_view(buf, static_cast<size_t>(n)));
    return ReadResult::Data;
  }
  // EOF, or EIO from a pty master whose last slave closed.
  end_output(p, is_out);
  return ReadResult::Eof;
}

void Agent::end_output(Proc& p, bool is_out) {
  if (is_out) {
    if (p.tty) drop_fd(p, p.in);  // a duplicate of the master
    drop_fd(p, p.out);
    if (!p.out_eof_sent) channel_.send(Frame::StdoutEof, p.stream, "");
    p.out_eof_sent = true;
  } else {
    drop_fd(p, p.err);
    if (!p.err_eof_sent) channel_.send(Frame::StderrEof, p.stream, "");
    p.err_eof_sent = true;
  }
}

void Agent::write_stdin(Proc& p, std::string_view data) {
  if (!p.in) return;
  if (p.stdin_buf.size() + data.size() > kMaxStdinBuffer) {
    log::warn("vm agent: stream {}: the process does not read its input; dropping {} bytes", p.stream, data.size());
    return;
  }
  bool was_empty = p.stdin_buf.empty();
  p.stdin_buf.append(data);
  if (was_empty) on_proc_stdin_writable(p);
}

void Agent::on_proc_stdin_writable(Proc& p) {
  while (p.in && !p.stdin_buf.empty()) {
    ssize_t w = ::write(p.in.get(), p.stdin_buf.data(), p.stdin_buf.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      // The reader is gone (EPIPE): its input has nowhere to go.
      p.stdin_buf.clear();
      drop_fd(p, p.in);
      return;
    }
    p.stdin_buf.erase(0, static_cast<size_t>(w));
  }
  if (!p.in) return;
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.fd = p.in.get();
  bool waiting = !p.stdin_buf.empty();
  if (waiting) {
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, p.in.get(), &ev) != 0)
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, p.in.get(), &ev);
    return;
  }
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, p.in.get(), nullptr);
  if (p.stdin_close_pending) close_stdin(p);
}

void Agent::close_stdin(Proc& p) {
  if (!p.in) return;
  if (!p.stdin_buf.empty()) {
    p.stdin_close_pending = true;  // after what is still buffered
    return;
  }
  if (p.tty) {
    // A terminal has no EOF of its own: send the line discipline's EOF character (^D).
    ::write(p.in.get(), "\x04", 1);
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, p.in.get(), nullptr);
    fd_owner_.erase(p.in.get());
    p.in.reset();
    return;
  }
  drop_fd(p, p.in);
}

void Agent::resize(Proc& p, const std::string& payload) {
  auto size = vmproto::parse_message<vmproto::TtySize>(payload, "resize");
  if (!size) {
    log::warn("vm agent: stream {}: {}", p.stream, size.error().str());
    return;
  }
  if (!p.tty || !p.out) return;
  winsize ws{};
  ws.ws_row = size->rows;
  ws.ws_col = size->cols;
  ::ioctl(p.out.get(), TIOCSWINSZ, &ws);  // the kernel sends the foreground group SIGWINCH
}

void Agent::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (auto& [stream, p] : procs_) {
      if (p->pid == pid && !p->exited) {
        finish(*p, status);
        break;
      }
    }
  }
}

void Agent::finish(Proc& p, int status) {
  vmproto::ExitStatus st;
  if (WIFEXITED(status)) {
    st.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    st.signal = WTERMSIG(status);
    st.exit_code = 128 + st.signal;
  }
  if (p.is_init && st.signal == SIGKILL) {
    auto oom = runtime::container_oom_killed(runtime::RuntimeContext{opts_.runtime_root}, p.container);
    st.oom_killed = oom && *oom;
  }
  // What the process wrote before it exited is still in the pipes: relay it
  // all, then end the stream. (A background child holding the pipe gets
  // EPIPE after this: the stream ends with the process, as with runc.)
  for (bool is_out : {true, false}) {
    while (read_output(p, is_out) == ReadResult::Data) {
    }
    end_output(p, is_out);
  }
  drop_fd(p, p.in);
  p.stdin_buf.clear();
  if (!p.out_eof_sent) channel_.send(Frame::StdoutEof, p.stream, "");
  if (!p.err_eof_sent) channel_.send(Frame::StderrEof, p.stream, "");
  p.out_eof_sent = p.err_eof_sent = true;
  p.exited = st;
  std::string body = vmproto::dump_json(st.to_json());
  channel_.send(Frame::Exited, p.stream, body);
  for (uint64_t id : p.waiters)
    channel_.send(Frame::Reply, 0, vmproto::dump_json(vmproto::Reply::ok(id, st.to_json()).to_json()));
  p.waiters.clear();
}

Result<json> Agent::signal(const vmproto::SignalProcess& s) {
  Proc* p = proc_by_stream(s.stream);
  if (!p) return fail(Errc::NotFound, "no process on stream " + std::to_string(s.stream));
  if (s.all) {
    TRYV(runtime::kill_container(runtime::RuntimeContext{opts_.runtime_root}, p->container, s.signal, true));
    return json::object();
  }
  if (p->exited) return fail(Errc::Conflict, "the process on stream " + std::to_string(s.stream) + " has exited");
  if (::kill(p->pid, s.signal) != 0) return fail_errno("signalling pid " + std::to_string(p->pid));
  return json::object();
}

Result<json> Agent::stats(const vmproto::ContainerRef& c) {
  if (!container(c.id)) return fail(Errc::NotFound, "no container \"" + c.id + "\" in the guest");
  auto raw = TRY(runtime::container_stats(runtime::RuntimeContext{opts_.runtime_root}, c.id));
  return TRY(container_stats_from(raw)).to_json();
}

Result<json> Agent::remove(const vmproto::ContainerRef& c) {
  Container* ctr = container(c.id);
  if (!ctr) return fail(Errc::NotFound, "no container \"" + c.id + "\" in the guest");
  runtime::RuntimeContext ctx{opts_.runtime_root};
  Proc* init = proc_by_stream(ctr->init_stream);
  if (init && !init->exited)
    return fail(Errc::Conflict, "container \"" + c.id + "\" is running: stop it before deleting it");
  TRYV(runtime::delete_container(ctx, c.id, true));
  for (auto it = procs_.begin(); it != procs_.end();) {
    if (it->second->container == c.id) {
      Proc& p = *it->second;
      if (!p.exited) ::kill(p.pid, SIGKILL);  // an exec that outlived its pid namespace cannot; be sure
      drop_fd(p, p.out);
      drop_fd(p, p.err);
      drop_fd(p, p.in);
      remove_tree(proc_dir(p.stream));
      it = procs_.erase(it);
    } else {
      ++it;
    }
  }
  unmount_shares(ctr->mounts);
  remove_tree(ctr->bundle);
  containers_.erase(c.id);
  return json::object();
}

Result<void> Agent::shutdown() {
  runtime::RuntimeContext ctx{opts_.runtime_root};
  for (auto& [id, ctr] : containers_) (void)runtime::kill_container(ctx, id, SIGKILL, true);
  // Wait for the inits (bounded by the kernel: SIGKILL cannot be blocked).
  for (auto& [stream, p] : procs_) {
    if (p->exited) continue;
    int status = 0;
    if (::waitpid(p->pid, &status, 0) == p->pid) finish(*p, status);
  }
  for (auto& [id, ctr] : containers_) {
    (void)runtime::delete_container(ctx, id, true);
    unmount_shares(ctr->mounts);
  }
  ::sync();
  return {};
}

}  // namespace berth::vmagent
