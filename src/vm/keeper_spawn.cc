#include "vm/keeper_spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <nlohmann/json.hpp>

extern char** environ;

namespace berth::vm {

Result<KeeperReady> spawn_keeper(std::vector<std::string> args, const std::string& what, int timeout_s) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("socketpair");
  UniqueFd ours(sv[0]), theirs(sv[1]);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, theirs.get(), 3);
  pid_t pid = 0;
  int err = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) return fail_errno("starting " + args[0], err);
  // It forks the keeper and exits at once.
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  theirs.reset();
  // The report comes after the boot (seconds under TCG): bounded.
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return fail(Errc::Internal, what + " did not boot within " + std::to_string(timeout_s) + " s");
    pollfd p{ours.get(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n <= 0) continue;  // EINTR, or the deadline (checked above)
    char buf[4096];
    ssize_t got = ::read(ours.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    line.append(buf, static_cast<size_t>(got));
  }
  auto j = nlohmann::json::parse(line.substr(0, line.find('\n')), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("ok") || !j.contains("socket") || !j["socket"].is_string() ||
      !j.contains("pid") || !j["pid"].is_number_integer()) {
    std::string why = !j.is_discarded() && j.is_object() && j.contains("message") && j["message"].is_string()
                          ? j["message"].get<std::string>()
                          : args[0] + " ended before " + what + " booted";
    return fail(Errc::Internal, why);
  }
  KeeperReady r;
  r.pid = j["pid"].get<pid_t>();
  r.socket = j["socket"].get<std::string>();
  r.conn = std::move(ours);
  return r;
}

}  // namespace berth::vm
