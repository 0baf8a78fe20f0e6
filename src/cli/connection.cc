#include "cli/connection.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "base/strings.h"
#include "base/unique_fd.h"

extern char** environ;

namespace berth::cli {

namespace {

// Root's places, or a rootless daemon's under $XDG_RUNTIME_DIR.
std::string runtime_dir() {
  if (::geteuid() == 0) return {};
  const char* x = std::getenv("XDG_RUNTIME_DIR");
  return x && *x == '/' ? x : "";
}
std::string run_dir() { return ::geteuid() == 0 ? "/run/berth" : runtime_dir() + "/berth"; }
std::string daemon_log() { return run_dir() + "/berthd.log"; }

bool is_executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

// berthd next to this executable (an install or a build tree), else on PATH.
std::string find_berthd() {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));
    for (const char* rel : {"/berthd", "/../berthd/berthd"}) {  // install dir, then the build tree layout
      if (is_executable(dir + rel)) return dir + rel;
    }
  }
  if (const char* path = std::getenv("PATH")) {
    for (const auto& d : split(path, ':', true)) {
      if (is_executable(d + "/berthd")) return d + "/berthd";
    }
  }
  return {};
}

Result<void> start_berthd() {
  std::string berthd = find_berthd();
  if (berthd.empty()) {
    return fail(Errc::Unavailable, fmt::format("Cannot connect to the berth daemon at {}: the socket does not exist "
                                               "and berthd is neither next to berth nor on PATH",
                                               default_host()));
  }
  const std::string dir = run_dir(), log_path = daemon_log();
  if (::mkdir(dir.c_str(), 0711) != 0 && errno != EEXIST) return fail_errno(fmt::format("creating {}", dir));
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("creating the berthd readiness pipe");
  UniqueFd ready_read(fds[0]), ready_write(fds[1]);
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log) return fail_errno(fmt::format("opening {}", log_path));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, log.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, log.get(), 2);
  // dup2 onto itself clears close-on-exec: berthd inherits only this end.
  posix_spawn_file_actions_adddup2(&actions, ready_write.get(), ready_write.get());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);  // no controlling terminal: ^C here must not stop it
  std::string fd_arg = std::to_string(ready_write.get());
  const char* argv[] = {berthd.c_str(), "--notify-fd", fd_arg.c_str(), nullptr};
  pid_t pid;
  int rc = posix_spawn(&pid, berthd.c_str(), &actions, &attr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail_errno(fmt::format("starting {}", berthd), rc);
  ready_write.reset();  // EOF on the pipe now means berthd exited without a word

  std::string line;
  char buf[512];
  while (line.find('\n') == std::string::npos) {
    ssize_t n = ::read(ready_read.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  std::string first(trim(line.substr(0, line.find('\n'))));
  if (first == "READY") return {};
  if (first.empty()) first = "it exited before it was ready";
  return fail(Errc::Unavailable, fmt::format("starting berthd ({}): {} (see {})", berthd, first, log_path));
}

}  // namespace

std::string default_socket() {
  if (::geteuid() == 0) return kDefaultSocket;
  std::string dir = runtime_dir();
  return dir.empty() ? kDefaultSocket : dir + "/berth.sock";
}

std::string default_host() { return "unix://" + default_socket(); }

std::string resolve_host(const std::string& flag) {
  if (!flag.empty()) return flag;
  for (const char* var : {"BERTH_HOST", "DOCKER_HOST"}) {
    if (const char* v = std::getenv(var); v && *v) return v;
  }
  return default_host();
}

Result<void> ensure_daemon(const std::string& host) {
  const std::string socket = default_socket();
  if (host != "unix://" + socket && host != socket) return {};
  struct stat st;
  if (::stat(socket.c_str(), &st) == 0) return {};
  if (::geteuid() != 0 && runtime_dir().empty()) {
    return fail(Errc::Unavailable,
                fmt::format("Cannot connect to the berth daemon at {}. Is the daemon running?\n"
                            "Start it with:  sudo berthd &   (or set XDG_RUNTIME_DIR for a rootless berthd of your own)",
                            default_host()));
  }
  return start_berthd();  // as root, or rootless for this user
}

}  // namespace berth::cli
