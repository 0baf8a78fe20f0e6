#include "shim/container_stdio.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>

#include "base/log.h"
#include "sys/fdpass.h"

namespace berth::shim {
namespace {

constexpr char kConsoleSocket[] = "console.sock";

Result<void> set_nonblock(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) return fail_errno("making fd " + std::to_string(fd) + " non-blocking");
  return {};
}

// A pipe whose `ours` end is non-blocking; the process's end stays blocking.
Result<void> make_pipe(UniqueFd& ours, UniqueFd& theirs, bool ours_reads, const char* what) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno(std::string("creating the ") + what + " pipe");
  ours.reset(p[ours_reads ? 0 : 1]);
  theirs.reset(p[ours_reads ? 1 : 0]);
  return set_nonblock(ours.get());
}

}  // namespace

Result<ContainerStdio> ContainerStdio::prepare(bool tty, bool open_stdin, int state_dirfd) {
  ContainerStdio s;
  s.tty = tty;
  s.open_stdin_ = open_stdin;
  s.state_dirfd_ = state_dirfd;
  if (tty) {
    // The runtime connects from this process, so /proc/self/fd reaches the
    // state dir whatever the length of its path.
    s.console_path_ = "/proc/self/fd/" + std::to_string(state_dirfd) + "/" + kConsoleSocket;
    s.console_listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s.console_listen_) return fail_errno("creating the console socket");
    ::unlinkat(state_dirfd, kConsoleSocket, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", s.console_path_.c_str());
    mode_t old = ::umask(0077);
    int r = ::bind(s.console_listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (r != 0) return fail_errno("binding the console socket " + s.console_path_);
    if (::listen(s.console_listen_.get(), 1) != 0) return fail_errno("listening on the console socket");
    return s;
  }
  TRYV(make_pipe(s.out, s.child_out_, true, "stdout"));
  TRYV(make_pipe(s.err, s.child_err_, true, "stderr"));
  if (open_stdin) TRYV(make_pipe(s.in, s.child_in_, false, "stdin"));
  return s;
}

Result<void> ContainerStdio::install() {
  saved_log_.reset(::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 10));
  if (!saved_log_) return fail_errno("saving the shim's stderr");
  log::configure(saved_log_.get(), log::Format::Text, log::Level::Warn);
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) return fail_errno("opening /dev/null");
  int fds[3] = {child_in_ ? child_in_.get() : null.get(), child_out_ ? child_out_.get() : null.get(),
                child_err_ ? child_err_.get() : null.get()};
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(fds[fd], fd) < 0) return fail_errno("putting the container's stdio on fd " + std::to_string(fd));
  return {};
}

void ContainerStdio::restore() {
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (null) {
    ::dup2(null.get(), STDIN_FILENO);
    ::dup2(null.get(), STDOUT_FILENO);
  }
  if (saved_log_) {
    ::dup2(saved_log_.get(), STDERR_FILENO);
    saved_log_.reset();
  }
  log::configure(-1, log::Format::Text, log::Level::Warn);
  child_in_.reset();
  child_out_.reset();
  child_err_.reset();
}

Result<void> ContainerStdio::receive_console() {
  if (!tty) return {};
  UniqueFd conn(::accept4(console_listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) return fail_errno("accepting the runtime's console connection");
  console_listen_.reset();
  ::unlinkat(state_dirfd_, kConsoleSocket, 0);
  UniqueFd master = TRY_CTX(sys::recv_fd(conn.get()), "receiving the pty master");
  TRYV(set_nonblock(master.get()));
  if (open_stdin_) {
    // A second fd on the master, so epoll can watch reading and writing apart.
    in.reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
    if (!in) return fail_errno("duplicating the pty master");
  }
  out = std::move(master);
  return {};
}

}  // namespace berth::shim
