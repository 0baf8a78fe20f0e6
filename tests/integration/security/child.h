// Runs a check in a forked child (filters, caps and limits must not touch the
// test process) and brings back its verdict: "" when every check held.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

namespace berth::testing_child {

struct ChildResult {
  int status = 0;       // as from waitpid
  std::string message;  // what the child reported ("" = all checks passed)

  bool ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0 && message.empty(); }
  bool killed_by(int sig) const { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }
};

inline ChildResult run_in_child(const std::function<std::string()>& fn) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return {-1, "pipe2 failed"};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    std::string msg = fn();
    if (!msg.empty()) (void)!::write(p[1], msg.data(), msg.size());
    ::_exit(msg.empty() ? 0 : 1);
  }
  ::close(p[1]);
  ChildResult r;
  char buf[512];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) r.message.append(buf, n);
  ::close(p[0]);
  ::waitpid(pid, &r.status, 0);
  return r;
}

inline std::string describe(const ChildResult& r) {
  std::string s = r.message;
  if (WIFSIGNALED(r.status)) s += " [killed by signal " + std::to_string(WTERMSIG(r.status)) + "]";
  if (WIFEXITED(r.status)) s += " [exit " + std::to_string(WEXITSTATUS(r.status)) + "]";
  return s;
}

}  // namespace berth::testing_child

// In the child: fail with the expression, the line and errno.
#define CHILD_CHECK(cond)                                                                 \
  do {                                                                                    \
    if (!(cond))                                                                          \
      return std::string(#cond) + " failed at line " + std::to_string(__LINE__) +        \
             " (errno " + std::to_string(errno) + " " + std::strerror(errno) + ")";      \
  } while (0)
