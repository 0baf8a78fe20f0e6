#include "engine/held_namespaces.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "engine/netns.h"

namespace berth::engine {

Result<void> hold_namespaces(const HeldNamespacePaths& paths) {
  // (ns file name under /proc/thread-self/ns, the file to hold it at)
  std::vector<std::pair<const char*, const std::string*>> wanted;
  int flags = 0;
  if (!paths.net.empty()) wanted.emplace_back("net", &paths.net), flags |= CLONE_NEWNET;
  if (!paths.ipc.empty()) wanted.emplace_back("ipc", &paths.ipc), flags |= CLONE_NEWIPC;
  if (!paths.uts.empty()) wanted.emplace_back("uts", &paths.uts), flags |= CLONE_NEWUTS;
  if (wanted.empty()) return {};
  if (paths.hostname.size() > HOST_NAME_MAX)
    return fail(Errc::InvalidArgument, "hostname \"" + paths.hostname + "\" is longer than " +
                                           std::to_string(HOST_NAME_MAX) + " characters");

  std::vector<std::string> made;
  auto undo = [&] {
    for (const auto& p : made) release_namespace(p);
  };
  for (const auto& [kind, path] : wanted) {
    int fd = ::open(path->c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) {
      auto e = fail_errno(std::string("creating the ") + kind + " namespace file " + *path);
      undo();
      return e;
    }
    ::close(fd);
    made.push_back(*path);
  }

  Result<void> result;
  // The namespaces belong to the thread that unshares; they end with it
  // unless a bind mount holds them.
  std::thread([&] {
    if (::unshare(flags) != 0) {
      result = fail_errno("creating the pod's namespaces");
      return;
    }
    if (flags & CLONE_NEWUTS && !paths.hostname.empty() &&
        ::sethostname(paths.hostname.data(), paths.hostname.size()) != 0) {
      result = fail_errno("setting the hostname " + paths.hostname);
      return;
    }
    if (flags & CLONE_NEWNET) {
      if (auto r = loopback_up(); !r) {
        result = r;
        return;
      }
    }
    for (const auto& [kind, path] : wanted) {
      std::string source = std::string("/proc/thread-self/ns/") + kind;
      if (::mount(source.c_str(), path->c_str(), nullptr, MS_BIND, nullptr) != 0) {
        result = fail_errno(std::string("bind-mounting the ") + kind + " namespace at " + *path);
        return;
      }
    }
  }).join();
  if (!result) undo();
  return result;
}

void release_namespace(const std::string& path) {
  if (path.empty()) return;
  ::umount2(path.c_str(), MNT_DETACH);
  ::unlink(path.c_str());
}

}  // namespace berth::engine
