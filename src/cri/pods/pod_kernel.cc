#include "cri/pods/pod_kernel.h"

#include "cri/pods/netns_pool.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <thread>

namespace berth::cri {
namespace {

class KernelImpl final : public PodKernel {
 public:
  Result<void> hold_namespaces(const engine::HeldNamespacePaths& paths) override {
    // The network namespace comes ready from the pool when one is there.
    UniqueFd ready = paths.net.empty() ? UniqueFd() : netns_pool_.take();
    if (!ready) return engine::hold_namespaces(paths);
    TRYV(hold_netns_fd_at(ready.get(), paths.net));
    auto rest = paths;
    rest.net.clear();
    if (auto r = engine::hold_namespaces(rest); !r) {
      engine::release_namespace(paths.net);
      return r;
    }
    return {};
  }
  void release_namespace(const std::string& path) override { engine::release_namespace(path); }
  bool is_held(const std::string& path) override {
    struct statfs fs{};
    return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == NSFS_MAGIC;
  }
  Result<void> mount_shm(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("creating " + dir);
    if (::mount("shm", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=67108864") != 0)
      return fail_errno("mounting the pod's /dev/shm at " + dir);
    return {};
  }
  Result<int> start_pid_holder(const std::string& init_path, const std::string& pidns_file) override {
    int fd = ::open(pidns_file.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) return fail_errno("creating the PID namespace file " + pidns_file);
    ::close(fd);
    Result<int> spawned = fail(Errc::Internal, "the PID namespace holder did not start");
    // unshare(CLONE_NEWPID) changes this thread's children's namespace only:
    // a short-lived thread spawns the holder as PID 1 of a new one.
    std::thread([&] {
      if (::unshare(CLONE_NEWPID) != 0) {
        spawned = fail_errno("creating the pod's PID namespace");
        return;
      }
      pid_t pid = 0;
      char hold[] = "--hold";
      char* argv[] = {const_cast<char*>(init_path.c_str()), hold, nullptr};
      char* envp[] = {nullptr};
      posix_spawnattr_t attr;
      posix_spawnattr_init(&attr);
      // Its own session: a terminal's or berthd's signals are not its business.
      posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
      int rc = ::posix_spawn(&pid, init_path.c_str(), nullptr, &attr, argv, envp);
      posix_spawnattr_destroy(&attr);
      if (rc != 0) {
        errno = rc;
        spawned = fail_errno("starting " + init_path + " --hold for the pod's PID namespace");
        return;
      }
      spawned = pid;
    }).join();
    if (spawned) {
      std::string source = "/proc/" + std::to_string(*spawned) + "/ns/pid";
      if (::mount(source.c_str(), pidns_file.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        auto e = fail_errno("bind-mounting the pod's PID namespace at " + pidns_file);
        ::kill(*spawned, SIGKILL);
        while (::waitpid(*spawned, nullptr, 0) < 0 && errno == EINTR) {
        }
        spawned = std::unexpected(e.error());
      }
    }
    if (!spawned) ::unlink(pidns_file.c_str());
    return spawned;
  }
  void stop_pid_holder(int pid, const std::string& pidns_file) override {
    struct stat held{}, now{};
    std::string proc = "/proc/" + std::to_string(pid) + "/ns/pid";
    if (pid > 0 && ::stat(pidns_file.c_str(), &held) == 0 && ::stat(proc.c_str(), &now) == 0 &&
        held.st_ino == now.st_ino && held.st_dev == now.st_dev) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    engine::release_namespace(pidns_file);
  }
  void unmount_shm(const std::string& dir) override {
    ::umount2(dir.c_str(), MNT_DETACH);
    ::rmdir(dir.c_str());
  }

 private:
  NetnsPool netns_pool_;
};

}  // namespace

std::unique_ptr<PodKernel> make_pod_kernel() { return std::make_unique<KernelImpl>(); }

}  // namespace berth::cri
