#include "runtime/linux/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "base/unique_fd.h"
#include "runtime/linux/namespaces.h"
#include "sys/syscalls.h"

namespace berth::runtime {
namespace {

// Joins the namespaces of pid that differ from ours (setns into one's own
// user namespace is refused by the kernel).
void join_namespaces_of(pid_t pid) {
  for (size_t i = 0; i < kJoinOrderSize; ++i) {
    const NamespaceKind& ns = kJoinOrder[i];
    if (ns.clone_flag == CLONE_NEWPID || std::strcmp(ns.proc_name, "time") == 0) continue;  // children only
    char theirs[64], ours[64];
    snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", pid, ns.proc_name);
    snprintf(ours, sizeof ours, "/proc/self/ns/%s", ns.proc_name);
    char a[64] = {}, b[64] = {};
    if (::readlink(theirs, a, sizeof a - 1) < 0 || ::readlink(ours, b, sizeof b - 1) < 0) continue;
    if (std::strcmp(a, b) == 0) continue;
    int fd = ::open(theirs, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, ns.clone_flag) != 0) _exit(126);
    ::close(fd);
  }
}

std::string read_some(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && out.size() < 65536) out.append(buf, static_cast<size_t>(n));
  return out;
}

Result<void> run_hook(const spec::Hook& hook, const std::string& label, const std::string& state_json,
                      pid_t ns_pid) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return fail_errno("creating a pipe for hook " + label);
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) return fail_errno("creating a pipe for hook " + label);
  UniqueFd out_r(out[0]), out_w(out[1]);

  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = hook.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("forking for hook " + label);
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);  // the runtime ignores it while it writes the state
    if (ns_pid > 0) join_namespaces_of(ns_pid);
    ::dup2(in_r.get(), 0);
    ::dup2(out_w.get(), 1);
    ::dup2(out_w.get(), 2);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  in_r.reset();
  out_w.reset();
  // The hook may not read its stdin: a closed pipe is not an error.
  ::signal(SIGPIPE, SIG_IGN);
  size_t off = 0;
  while (off < state_json.size()) {
    ssize_t n = ::write(in_w.get(), state_json.data() + off, state_json.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  in_w.reset();

  // Collect output while waiting for the hook itself (not for EOF: a process
  // it leaves behind may keep the pipe open), up to its timeout.
  UniqueFd pidfd(sys::pidfd_open(pid));
  if (!pidfd) return fail_errno("watching hook " + label);
  std::string output;
  struct pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {out_r.get(), POLLIN, 0}};
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (true) {
    int wait_ms = -1;
    if (hook.timeout) {
      timespec now{};
      clock_gettime(CLOCK_MONOTONIC, &now);
      long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
      wait_ms = static_cast<int>(std::max(0L, *hook.timeout * 1000L - elapsed));
    }
    int r = ::poll(fds, 2, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return fail(Errc::Unavailable, label + " hook " + hook.path + " timed out after " +
                                         std::to_string(*hook.timeout) + "s");
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      char buf[4096];
      ssize_t n = ::read(out_r.get(), buf, sizeof buf);
      if (n > 0 && output.size() < 65536) output.append(buf, static_cast<size_t>(n));
      if (n <= 0) fds[1].fd = -1;
    }
    if (fds[0].revents & POLLIN) break;
  }
  ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
  output += read_some(out_r.get());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string why = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                      : "killed by signal " + std::to_string(WTERMSIG(status));
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return fail(Errc::Internal, label + " hook " + hook.path + " failed: " + why +
                                  (output.empty() ? "" : ", output: " + output));
}

}  // namespace

Result<void> run_hooks(const std::vector<spec::Hook>& hooks, const std::string& kind,
                       const std::string& state_json, pid_t ns_pid) {
  for (size_t i = 0; i < hooks.size(); ++i)
    TRYV(run_hook(hooks[i], kind + "[" + std::to_string(i) + "]", state_json, ns_pid));
  return {};
}

}  // namespace berth::runtime
