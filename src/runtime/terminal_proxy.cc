#include "runtime/terminal_proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "base/defer.h"
#include "sys/fdpass.h"
#include "sys/syscalls.h"

namespace berth::runtime {
namespace {

void copy_window_size(int from, int to) {
  struct winsize ws{};
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

Result<ConsolePair> ConsolePair::make() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("creating a console socket pair");
  ConsolePair p;
  p.parent_.reset(sv[0]);
  p.child_.reset(sv[1]);
  return p;
}

Result<UniqueFd> ConsolePair::receive_master() { return sys::recv_fd(parent_.get()); }

Result<int> relay_terminal(pid_t pid, int pidfd, const sigset_t& forward, int master) {
  UniqueFd sfd(::signalfd(-1, &forward, SFD_CLOEXEC));
  if (!sfd) return fail_errno("signalfd");
  bool tty = ::isatty(STDIN_FILENO);
  struct termios saved{};
  if (tty && ::tcgetattr(STDIN_FILENO, &saved) == 0) {
    struct termios raw = saved;
    ::cfmakeraw(&raw);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    copy_window_size(STDIN_FILENO, master);
  }
  auto restore = Defer([&] {
    if (tty) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  });
  struct pollfd fds[4] = {{pidfd, POLLIN, 0}, {sfd.get(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}, {master, POLLIN, 0}};
  char buf[8192];
  bool exited = false;
  while (!exited) {
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_errno("relaying the terminal");
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si{};
      if (::read(sfd.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGWINCH) copy_window_size(STDIN_FILENO, master);
        else if (si.ssi_signo != SIGCHLD) sys::pidfd_send_signal(pidfd, static_cast<int>(si.ssi_signo));
      }
    }
    if (fds[2].revents & (POLLIN | POLLHUP)) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n > 0) write_all(master, buf, static_cast<size_t>(n));
      else fds[2].fd = -1;  // stdin closed: stop reading it, keep relaying output
    }
    if (fds[3].revents & (POLLIN | POLLHUP)) {
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) write_all(STDOUT_FILENO, buf, static_cast<size_t>(n));
      else fds[3].fd = -1;  // EIO: every slave fd is closed
    }
    exited = fds[0].revents & POLLIN;
  }
  // Output the process wrote just before it exited; non-blocking, since a
  // process it left behind may still hold the pty open.
  ::fcntl(master, F_SETFL, O_NONBLOCK);
  ssize_t n;
  while (fds[3].fd >= 0 && (n = ::read(master, buf, sizeof buf)) > 0) write_all(STDOUT_FILENO, buf, static_cast<size_t>(n));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exit_status(status);
}

}  // namespace berth::runtime
