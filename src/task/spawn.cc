#include "task/spawn.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <csignal>

#include "base/defer.h"

extern char** environ;

namespace berth::task {

Result<pid_t> spawn_shim_process(const std::string& binary, const std::vector<std::string>& args,
                                 const std::string& log, int conn, const std::string& what) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  auto destroy = Defer([&] {
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  });
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (conn >= 0) posix_spawn_file_actions_adddup2(&fa, conn, 3);
  posix_spawn_file_actions_addclosefrom_np(&fa, conn >= 0 ? 4 : 3);
  // Every signal in the default set: glibc's child then sets each to SIG_DFL
  // with one call. A smaller set makes it read every other one first (two
  // calls each), which was measured slower.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int err = ::posix_spawn(&pid, binary.c_str(), &fa, &attr, argv.data(), environ);
  // Internal whatever errno says: NotFound would read as "the container's executable is missing".
  if (err != 0) return fail(Errc::Internal, "starting " + binary + " (" + what + ")", err);
  return pid;
}

Result<SpawnedShim> spawn_connected_shim(const std::string& binary, const std::vector<std::string>& args,
                                         const std::string& log, const std::string& what) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("creating the shim socketpair (" + what + ")");
  UniqueFd ours(sv[0]), theirs(sv[1]);
  // Keep it above the fds the file actions set up: dup2 onto its own number
  // would leave close-on-exec set, and 0-2 are replaced before the dup2.
  if (theirs.get() <= 3) theirs.reset(::fcntl(theirs.get(), F_DUPFD_CLOEXEC, 4));
  if (!theirs) return fail_errno("duplicating the shim's socket (" + what + ")");
  pid_t pid = TRY(spawn_shim_process(binary, args, log, theirs.get(), what));
  return SpawnedShim{pid, std::move(ours)};
}

void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  wait_for_process(pid);
}

int wait_for_process(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace berth::task
