// berth-init: a minimal init for containers (what docker-init/tini do).
//
//   berth-init [--] PROGRAM [ARGS...]
//   berth-init --hold
//
// Runs PROGRAM as its only direct child, forwards the signals a user or the
// engine sends (TERM INT HUP QUIT USR1 USR2 WINCH) to it, reaps every process
// re-parented to it so no zombie piles up, and exits with the child's status
// (128+N when a signal N killed it). Plain C-style code on purpose: it is
// linked statically into every --init container and must stay tiny.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace {

const int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

void say(const char* a, const char* b = "", const char* c = "", const char* d = "") {
  const char* parts[] = {"berth-init: ", a, b, c, d, "\n"};
  for (const char* p : parts) {
    size_t n = strlen(p);
    while (n > 0) {
      ssize_t w = write(STDERR_FILENO, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return;
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
}

// The child: its own process group (the terminal's foreground one when there
// is a terminal, so ^C reaches it), default signal state, then exec.
[[noreturn]] void run_child(char** argv, const sigset_t* original_mask) {
  setpgid(0, 0);
  if (isatty(STDIN_FILENO)) {
    // tcsetpgrp from a background group raises SIGTTOU: ignore it for the call.
    struct sigaction ign = {}, old = {};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGTTOU, &ign, &old);
    tcsetpgrp(STDIN_FILENO, getpgrp());
    sigaction(SIGTTOU, &old, nullptr);
  }
  sigprocmask(SIG_SETMASK, original_mask, nullptr);
  execvp(argv[0], argv);
  int err = errno;
  say("exec ", argv[0], " failed: ", strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

// The next of the blocked signals in wanted; -1 (said) when waiting fails.
int next_signal(const sigset_t& wanted) {
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&wanted, &info);
    if (sig >= 0) return sig;
    if (errno != EINTR) {
      say("sigwaitinfo: ", strerror(errno));
      return -1;
    }
  }
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

// --hold: no program. PID 1 of a pod's shared PID namespace (the CRI's
// shareProcessNamespace, which berth holds with this instead of a pause
// container): reaps whatever is re-parented to it and exits 0 on TERM or INT.
int hold() {
  sigset_t wanted;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGCHLD);
  sigaddset(&wanted, SIGTERM);
  sigaddset(&wanted, SIGINT);
  if (sigprocmask(SIG_BLOCK, &wanted, nullptr) != 0) {
    say("sigprocmask: ", strerror(errno));
    return 1;
  }
  for (;;) {
    int sig = next_signal(wanted);
    if (sig < 0) return 1;
    if (sig != SIGCHLD) return 0;
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--hold") == 0) return hold();
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    say("usage: berth-init [--] PROGRAM [ARGS...]");
    return 2;
  }

  // When not PID 1 (host PID namespace), still adopt orphans so they get reaped.
  if (getpid() != 1) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  // Handle signals synchronously: block them before fork so none is lost.
  sigset_t wanted, original;
  sigemptyset(&wanted);
  for (int sig : kForwarded) sigaddset(&wanted, sig);
  sigaddset(&wanted, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &wanted, &original) != 0) {
    say("sigprocmask: ", strerror(errno));
    return 1;
  }

  pid_t child = fork();
  if (child < 0) {
    say("fork: ", strerror(errno));
    return 1;
  }
  if (child == 0) run_child(argv + first, &original);

  int child_status = 0;
  bool child_done = false;
  while (!child_done) {
    int sig = next_signal(wanted);
    if (sig < 0) return 1;
    if (sig != SIGCHLD) {
      // ESRCH when the child just exited: its SIGCHLD is already pending.
      kill(child, sig);
      continue;
    }
    // Reap everything that has exited: the child and any orphan handed to us.
    while (true) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid == child) {
        child_status = status;
        child_done = true;
      }
    }
  }
  // Orphans still running die with the container when PID 1 exits.
  return exit_code(child_status);
}
