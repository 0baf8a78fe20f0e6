#include "sys/run_program.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "base/unique_fd.h"
#include "sys/syscalls.h"

extern char** environ;

namespace berth::sys {

namespace {

// A pipe whose read end will be the program's stdin, already holding input.
Result<UniqueFd> stdin_pipe(const std::string& program, const std::string& input) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("creating a pipe for " + program);
  UniqueFd r(fds[0]), w(fds[1]);
  // Non-blocking: input larger than the pipe holds is refused, not a hang.
  ::fcntl(w.get(), F_SETFL, O_NONBLOCK);
  // A larger input grows the pipe first (up to /proc/sys/fs/pipe-max-size).
  if (input.size() > 65536) ::fcntl(w.get(), F_SETPIPE_SZ, static_cast<int>(input.size()));
  size_t done = 0;
  while (done < input.size()) {
    ssize_t n = ::write(w.get(), input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return fail(Errc::InvalidArgument, "input too large for " + program);
    if (n < 0) return fail_errno("writing the input of " + program);
    done += static_cast<size_t>(n);
  }
  return r;  // the write end closes here: the program reads EOF after the input
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

Result<ProgramOutput> run_program(const std::vector<std::string>& argv, const ProgramOptions& options) {
  if (argv.empty()) return fail(Errc::InvalidArgument, "no program to run");
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return fail_errno("creating a pipe for " + argv[0]);
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return fail_errno("creating a pipe for " + argv[0]);
  UniqueFd err_r(err[0]), err_w(err[1]);
  UniqueFd in_r;
  if (!options.input.empty()) in_r = TRY(stdin_pipe(argv[0], options.input));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in_r)
    posix_spawn_file_actions_adddup2(&actions, in_r.get(), 0);
  else
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  if (!options.pass_stderr) posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  if (options.env) {
    for (const auto& e : *options.env) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);
  }
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), options.env ? env.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fail_errno("running " + argv[0], rc);
  in_r.reset();
  out_w.reset();
  err_w.reset();
  if (options.pass_stderr) err_r.reset();

  // Its output until both pipes close and it has exited (the pidfd turns readable),
  // or until the deadline.
  UniqueFd pidfd(pidfd_open(pid));
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  ProgramOutput result;
  pollfd fds[3] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  char buf[16384];
  while (fds[0].fd >= 0 || fds[1].fd >= 0 || fds[2].fd >= 0) {
    int wait_ms = -1;
    if (options.timeout.count() > 0 && (wait_ms = remaining_ms(deadline)) == 0) {
      result.timed_out = true;
      break;
    }
    int n = ::poll(fds, 3, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (fds[2].fd >= 0 && fds[2].revents) fds[2].fd = -1;  // exited (its output may still be in the pipes)
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        fds[i].fd = -1;
      else
        sinks[i]->append(buf, static_cast<size_t>(got));
    }
  }
  if (result.timed_out) ::kill(pid, SIGKILL);  // not reaped yet, so pid is still this program
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    if (end > start) {
      std::string cand = p.substr(start, end - start) + "/" + name;
      if (::access(cand.c_str(), X_OK) == 0) return cand;
    }
    start = end + 1;
  }
  return {};
}

}  // namespace berth::sys
