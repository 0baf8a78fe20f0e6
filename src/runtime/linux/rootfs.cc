#include "runtime/linux/rootfs.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "runtime/launch/sync.h"
#include "sys/syscalls.h"

namespace berth::runtime {
namespace {

constexpr size_t kPathMax = 4096;

struct FdPath {
  char buf[40];
  explicit FdPath(int fd) { snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd); }
  const char* c_str() const { return buf; }
};

int resolve(int rootfd, const char* path, int flags) {
  struct open_how how{};
  how.flags = static_cast<unsigned long long>(flags) | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = sys::openat2(rootfd, path, &how);
  } while (fd < 0 && errno == EAGAIN);
  return fd;
}

// Flags that a bind remount must keep because the kernel locks them (user
// namespaces) or because the source mount had them.
unsigned long locked_flags(const char* path) {
  struct statvfs sv{};
  if (::statvfs(path, &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  return f;
}

int remount_bind(const char* target, unsigned long flags) {
  unsigned long f = MS_BIND | MS_REMOUNT | (flags & ~(MS_BIND | MS_REC | MS_REMOUNT));
  if (::mount(nullptr, target, nullptr, f, nullptr) == 0) return 0;
  if (errno != EPERM) return -1;
  return ::mount(nullptr, target, nullptr, f | locked_flags(target), nullptr);
}

int mount_step(int rootfd, const RootfsPlan& r, const MountStep& m, int sync_fd) {
  const char* dest = m.destination.c_str();
  int fd = open_in_root(rootfd, dest, true, m.source_is_dir);
  if (fd < 0) {
    sync_send_error(sync_fd, errno, "mounts[%zu]: creating mount point %s in the rootfs", m.index, dest);
    return -1;
  }
  FdPath target(fd);
  int rc;
  if (m.kind == MountStep::Kind::Bind) {
    rc = ::mount(m.source.c_str(), target.c_str(), nullptr, MS_BIND | (m.flags & MS_REC), nullptr);
  } else {
    rc = ::mount(m.source.c_str(), target.c_str(), m.type.c_str(), m.flags & ~(MS_BIND | MS_REC | MS_REMOUNT),
                 m.data.empty() ? nullptr : m.data.c_str());
    // sysfs needs a network namespace owned by our user namespace; else bind the host's.
    if (rc != 0 && errno == EPERM && m.type == "sysfs" && r.in_user_ns)
      rc = ::mount("/sys", target.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
  }
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    sync_send_error(sync_fd, err, "mounts[%zu]: mounting %s (%s) on %s", m.index, m.source.c_str(),
                    m.kind == MountStep::Kind::Bind ? "bind" : m.type.c_str(), dest);
    return -1;
  }
  bool needs_remount = m.kind == MountStep::Kind::Bind && (m.flags & ~(MS_BIND | MS_REC | MS_REMOUNT));
  if (!needs_remount && !m.propagation && !m.attr_set && !m.attr_clr) return 0;
  // Reopen: the fd above names the directory under the new mount, not the mount.
  fd = resolve(rootfd, dest, O_PATH);
  if (fd < 0) {
    sync_send_error(sync_fd, errno, "mounts[%zu]: reopening %s", m.index, dest);
    return -1;
  }
  FdPath mounted(fd);
  if (needs_remount && remount_bind(mounted.c_str(), m.flags) != 0) {
    sync_send_error(sync_fd, errno, "mounts[%zu]: remounting %s with its options", m.index, dest);
    ::close(fd);
    return -1;
  }
  if (m.propagation && ::mount(nullptr, mounted.c_str(), nullptr, m.propagation, nullptr) != 0) {
    sync_send_error(sync_fd, errno, "mounts[%zu]: setting propagation of %s", m.index, dest);
    ::close(fd);
    return -1;
  }
  if (m.attr_set || m.attr_clr) {
    struct mount_attr attr{};
    attr.attr_set = m.attr_set;
    attr.attr_clr = m.attr_clr;
    if (sys::mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
      sync_send_error(sync_fd, errno, "mounts[%zu]: setting recursive attributes of %s", m.index, dest);
      ::close(fd);
      return -1;
    }
  }
  ::close(fd);
  return 0;
}

// "cgroup" mounts: a tmpfs at the destination with each hierarchy of the
// container's own cgroup bound into it (v1), or the cgroup2 itself (v2).
int mount_cgroups(int rootfd, const RootfsPlan& r, const MountStep& m, int sync_fd) {
  const char* dest = m.destination.c_str();
  bool ro = m.flags & MS_RDONLY;
  unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  int fd = open_in_root(rootfd, dest, true, true);
  if (fd < 0) {
    sync_send_error(sync_fd, errno, "mounts[%zu]: creating %s", m.index, dest);
    return -1;
  }
  FdPath target(fd);
  if (r.cgroup_v2) {
    int rc = r.cgroup_ns ? ::mount("cgroup2", target.c_str(), "cgroup2", base | (ro ? MS_RDONLY : 0), nullptr)
                         : -1;
    if (rc != 0 && !r.cgroup_sources.empty()) {
      rc = ::mount(r.cgroup_sources[0].host_dir.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
      if (rc == 0) rc = remount_bind(target.c_str(), base | MS_BIND | (ro ? MS_RDONLY : 0));
    }
    int err = errno;
    ::close(fd);
    if (rc != 0) {
      sync_send_error(sync_fd, err, "mounts[%zu]: mounting cgroup2 on %s", m.index, dest);
      return -1;
    }
    return 0;
  }
  if (::mount("tmpfs", target.c_str(), "tmpfs", base, "mode=755") != 0) {
    sync_send_error(sync_fd, errno, "mounts[%zu]: mounting tmpfs for cgroups on %s", m.index, dest);
    ::close(fd);
    return -1;
  }
  ::close(fd);
  int dirfd = resolve(rootfd, dest, O_DIRECTORY | O_RDONLY);
  if (dirfd < 0) {
    sync_send_error(sync_fd, errno, "mounts[%zu]: opening %s", m.index, dest);
    return -1;
  }
  for (const auto& src : r.cgroup_sources) {
    ::mkdirat(dirfd, src.name.c_str(), 0755);
    int sub = ::openat(dirfd, src.name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
      sync_send_error(sync_fd, errno, "mounts[%zu]: creating %s/%s", m.index, dest, src.name.c_str());
      ::close(dirfd);
      return -1;
    }
    FdPath sp(sub);
    int rc = ::mount(src.host_dir.c_str(), sp.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
    ::close(sub);
    if (rc != 0) {
      sync_send_error(sync_fd, errno, "mounts[%zu]: binding cgroup %s into %s", m.index, src.host_dir.c_str(), dest);
      ::close(dirfd);
      return -1;
    }
    sub = ::openat(dirfd, src.name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    FdPath mounted(sub);
    rc = remount_bind(mounted.c_str(), base | MS_BIND | (ro ? MS_RDONLY : 0));
    ::close(sub);
    if (rc != 0) {
      sync_send_error(sync_fd, errno, "mounts[%zu]: remounting cgroup %s", m.index, src.name.c_str());
      ::close(dirfd);
      return -1;
    }
    // Co-mounted controllers ("cpu,cpuacct") also appear under each name.
    const char* comma = std::strchr(src.name.c_str(), ',');
    if (comma) {
      const char* start = src.name.c_str();
      while (true) {
        const char* end = std::strchr(start, ',');
        char link[256];
        snprintf(link, sizeof link, "%.*s", end ? static_cast<int>(end - start) : static_cast<int>(std::strlen(start)), start);
        ::symlinkat(src.name.c_str(), dirfd, link);
        if (!end) break;
        start = end + 1;
      }
    }
  }
  ::close(dirfd);
  if (ro) {
    int t = resolve(rootfd, dest, O_PATH);
    FdPath tp(t);
    if (t < 0 || ::mount(nullptr, tp.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | base, "mode=755") != 0) {
      sync_send_error(sync_fd, errno, "mounts[%zu]: making %s read-only", m.index, dest);
      if (t >= 0) ::close(t);
      return -1;
    }
    ::close(t);
  }
  return 0;
}

int create_devices(int rootfd, const RootfsPlan& r, int sync_fd) {
  for (const auto& d : r.devices) {
    const char* path = d.path.c_str();
    if (r.in_user_ns) {
      // mknod is not allowed in a user namespace: bind the host's node.
      int fd = open_in_root(rootfd, path, true, false);
      if (fd < 0) {
        sync_send_error(sync_fd, errno, "creating device mount point %s", path);
        return -1;
      }
      FdPath fp(fd);
      int rc = ::mount(path, fp.c_str(), nullptr, MS_BIND, nullptr);
      int err = errno;
      ::close(fd);
      if (rc != 0) {
        sync_send_error(sync_fd, err, "binding device %s from the host", path);
        return -1;
      }
      continue;
    }
    // Parent directory inside the root, then mknod by name in it.
    const char* slash = std::strrchr(path, '/');
    char parent[kPathMax];
    snprintf(parent, sizeof parent, "%.*s", static_cast<int>(slash - path), path);
    int pfd = parent[0] ? open_in_root(rootfd, parent, true, true) : resolve(rootfd, "/", O_PATH);
    if (pfd < 0) {
      sync_send_error(sync_fd, errno, "creating the directory of device %s", path);
      return -1;
    }
    int dfd = resolve(rootfd, parent[0] ? parent : "/", O_DIRECTORY | O_RDONLY);
    ::close(pfd);
    if (dfd < 0) {
      sync_send_error(sync_fd, errno, "opening the directory of device %s", path);
      return -1;
    }
    ::unlinkat(dfd, slash + 1, 0);
    int rc = ::mknodat(dfd, slash + 1, d.mode, d.dev);
    if (rc == 0) rc = ::fchmodat(dfd, slash + 1, d.mode & 07777, 0);
    if (rc == 0) rc = ::fchownat(dfd, slash + 1, d.uid, d.gid, AT_SYMLINK_NOFOLLOW);
    int err = errno;
    ::close(dfd);
    if (rc != 0) {
      sync_send_error(sync_fd, err, "creating device node %s (%u:%u)", path, major(d.dev), minor(d.dev));
      return -1;
    }
  }
  // The links every Linux program expects in /dev.
  int devfd = resolve(rootfd, "/dev", O_DIRECTORY | O_RDONLY);
  if (devfd < 0) return 0;
  static const char* const kLinks[][2] = {{"/proc/self/fd", "fd"},
                                          {"/proc/self/fd/0", "stdin"},
                                          {"/proc/self/fd/1", "stdout"},
                                          {"/proc/self/fd/2", "stderr"},
                                          {"pts/ptmx", "ptmx"}};
  for (const auto& l : kLinks) {
    if (std::strcmp(l[1], "ptmx") == 0) ::unlinkat(devfd, "ptmx", 0);
    if (::symlinkat(l[0], devfd, l[1]) != 0 && errno != EEXIST) {
      sync_send_error(sync_fd, errno, "creating /dev/%s", l[1]);
      ::close(devfd);
      return -1;
    }
  }
  if (::access("/proc/kcore", F_OK) == 0) ::symlinkat("/proc/kcore", devfd, "core");
  ::close(devfd);
  return 0;
}

}  // namespace

namespace {

int open_in_root_depth(int rootfd, const char* path, bool create, bool dir, int depth) {
  int fd = resolve(rootfd, path, O_PATH);
  if (fd >= 0 || errno != ENOENT || !create) return fd;
  // Walk the components, creating what is missing. Each creation happens by
  // name inside a directory fd that was itself resolved inside the root.
  char partial[kPathMax];
  size_t len = std::strlen(path);
  if (len >= sizeof partial) {
    errno = ENAMETOOLONG;
    return -1;
  }
  size_t pos = 0;
  while (pos < len) {
    while (pos < len && path[pos] == '/') ++pos;
    size_t end = pos;
    while (end < len && path[end] != '/') ++end;
    if (end == pos) break;
    size_t rest = end;
    while (rest < len && path[rest] == '/') ++rest;
    bool last = rest >= len;
    snprintf(partial, sizeof partial, "%.*s", static_cast<int>(end), path);
    int cfd = resolve(rootfd, partial, O_PATH);
    if (cfd < 0 && errno == ENOENT) {
      char parent[kPathMax];
      snprintf(parent, sizeof parent, "%.*s", static_cast<int>(pos), path);
      int pfd = resolve(rootfd, parent[0] ? parent : "/", O_DIRECTORY | O_RDONLY);
      if (pfd < 0) return -1;
      char name[256];
      snprintf(name, sizeof name, "%.*s", static_cast<int>(end - pos), path + pos);
      int rc;
      if (last && !dir) {
        rc = ::openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (rc >= 0) ::close(rc), rc = 0;
      } else {
        rc = ::mkdirat(pfd, name, 0755);
      }
      int err = errno;
      if (rc != 0 && err == EEXIST) {
        // A dangling symlink in the image: follow it (inside the root) and
        // create its target, as the kernel would resolve it in the container.
        char target[kPathMax];
        ssize_t n = ::readlinkat(pfd, name, target, sizeof target - 1);
        ::close(pfd);
        if (n < 0 && errno == EINVAL) return open_in_root_depth(rootfd, path, create, dir, depth + 1);  // raced: exists now
        if (n < 0 || depth >= 40) {
          errno = n < 0 ? errno : ELOOP;
          return -1;
        }
        target[n] = 0;
        char next[kPathMax];
        int m = target[0] == '/' ? snprintf(next, sizeof next, "%s%s", target, path + end)
                                 : snprintf(next, sizeof next, "%s/%s%s", parent, target, path + end);
        if (m < 0 || static_cast<size_t>(m) >= sizeof next) {
          errno = ENAMETOOLONG;
          return -1;
        }
        return open_in_root_depth(rootfd, next, create, dir, depth + 1);
      }
      ::close(pfd);
      if (rc != 0) {
        errno = err;
        return -1;
      }
      cfd = resolve(rootfd, partial, O_PATH);
      if (cfd < 0) return -1;
    } else if (cfd < 0) {
      return -1;
    }
    if (last) return cfd;
    ::close(cfd);
    pos = end;
  }
  return resolve(rootfd, path, O_PATH);
}

}  // namespace

int open_in_root(int rootfd, const char* path, bool create, bool dir) {
  return open_in_root_depth(rootfd, path, create, dir, 0);
}

namespace {

bool binds_rootfs(const RootfsPlan& r) { return !r.shared_mount_ns || r.readonly || r.root_propagation; }

}  // namespace

int prepare_rootfs(const RootfsPlan& r, int sync_fd) {
  // Nothing we mount may propagate back to the host.
  unsigned long prop = r.root_propagation ? r.root_propagation : (MS_SLAVE | MS_REC);
  if (!r.shared_mount_ns && ::mount(nullptr, "/", nullptr, prop, nullptr) != 0) {
    sync_send_error(sync_fd, errno, "setting mount propagation of / in the container");
    return -1;
  }
  // The mount holding the rootfs becomes private (as runc does): else binding
  // the rootfs onto itself propagates to its peers when "/" was not made
  // recursively slave (rootfsPropagation "private", "shared"), or fails with
  // EINVAL when it is unbindable.
  // Best effort: a failure here shows in the bind below.
  if (!r.rootfs_parent_mount.empty()) ::mount(nullptr, r.rootfs_parent_mount.c_str(), nullptr, MS_PRIVATE, nullptr);
  if (binds_rootfs(r) && ::mount(r.rootfs.c_str(), r.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    sync_send_error(sync_fd, errno, "bind-mounting the rootfs %s onto itself", r.rootfs.c_str());
    return -1;
  }
  int rootfd = ::open(r.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    sync_send_error(sync_fd, errno, "opening the rootfs %s", r.rootfs.c_str());
    return -1;
  }
  for (const auto& m : r.mounts) {
    int rc = m.kind == MountStep::Kind::Cgroup ? mount_cgroups(rootfd, r, m, sync_fd) : mount_step(rootfd, r, m, sync_fd);
    if (rc != 0) {
      ::close(rootfd);
      return -1;
    }
  }
  if (r.setup_dev && create_devices(rootfd, r, sync_fd) != 0) {
    ::close(rootfd);
    return -1;
  }
  if (!r.cwd.empty()) {
    int fd = open_in_root(rootfd, r.cwd.c_str(), true, true);
    if (fd < 0) {
      sync_send_error(sync_fd, errno, "creating the working directory %s in the rootfs", r.cwd.c_str());
      ::close(rootfd);
      return -1;
    }
    ::close(fd);
  }
  ::close(rootfd);
  return 0;
}

int enter_rootfs(const RootfsPlan& r, int sync_fd) {
  if (::chdir(r.rootfs.c_str()) != 0) {
    sync_send_error(sync_fd, errno, "entering the rootfs %s", r.rootfs.c_str());
    return -1;
  }
  if (r.shared_mount_ns) {
    if (::chroot(".") != 0) {
      sync_send_error(sync_fd, errno, "chroot into %s (no mount namespace of its own)", r.rootfs.c_str());
      return -1;
    }
    return ::chdir("/");
  }
  if (r.no_pivot) {
    if (::mount(r.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) != 0 || ::chroot(".") != 0) {
      sync_send_error(sync_fd, errno, "moving the rootfs to / (--no-pivot)");
      return -1;
    }
    return ::chdir("/");
  }
  int oldroot = ::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0 || sys::pivot_root(".", ".") != 0) {
    sync_send_error(sync_fd, errno, "pivot_root into %s", r.rootfs.c_str());
    return -1;
  }
  // The old root is stacked under the new one: detach it without letting the
  // unmount propagate to the host.
  if (::fchdir(oldroot) != 0 || ::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0 ||
      ::umount2(".", MNT_DETACH) != 0) {
    sync_send_error(sync_fd, errno, "detaching the host's root after pivot_root");
    ::close(oldroot);
    return -1;
  }
  ::close(oldroot);
  if (::chdir("/") != 0) {
    sync_send_error(sync_fd, errno, "chdir / after pivot_root");
    return -1;
  }
  return 0;
}

int finalize_rootfs(const RootfsPlan& r, int sync_fd) {
  for (const auto& [path, value] : r.sysctl) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, value.data(), value.size()) < 0) {
      sync_send_error(sync_fd, errno, "setting sysctl %s to %s", path.c_str() + 10, value.c_str());
      if (fd >= 0) ::close(fd);
      return -1;
    }
    ::close(fd);
  }
  for (const auto& p : r.readonly_paths) {
    const char* path = p.c_str();
    if (::mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      sync_send_error(sync_fd, errno, "binding read-only path %s", path);
      return -1;
    }
    if (remount_bind(path, MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) != 0 &&
        remount_bind(path, MS_BIND | MS_RDONLY) != 0) {
      sync_send_error(sync_fd, errno, "making %s read-only", path);
      return -1;
    }
  }
  for (const auto& p : r.masked_paths) {
    const char* path = p.c_str();
    struct stat st{};
    if (::stat(path, &st) != 0) continue;
    int rc = S_ISDIR(st.st_mode) ? ::mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k")
                                 : ::mount("/dev/null", path, nullptr, MS_BIND, nullptr);
    if (rc != 0) {
      sync_send_error(sync_fd, errno, "masking %s", path);
      return -1;
    }
  }
  if (r.readonly && remount_bind("/", MS_BIND | MS_RDONLY) != 0) {
    sync_send_error(sync_fd, errno, "making the root filesystem read-only");
    return -1;
  }
  // The new root is a copy of the (private) rootfs mount: give it the
  // propagation asked for where it differs from private.
  if ((r.root_propagation & (MS_SHARED | MS_UNBINDABLE)) &&
      ::mount(nullptr, "/", nullptr, r.root_propagation, nullptr) != 0) {
    sync_send_error(sync_fd, errno, "setting the propagation of the container's root (rootfsPropagation)");
    return -1;
  }
  return 0;
}

}  // namespace berth::runtime
