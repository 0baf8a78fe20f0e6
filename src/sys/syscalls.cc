#include "sys/syscalls.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

namespace berth::sys {

pid_t clone3(struct clone_args* args) {
  return static_cast<pid_t>(::syscall(SYS_clone3, args, sizeof(*args)));
}
pid_t clone_legacy(const struct clone_args* args) {
  if ((args->flags & (CLONE_INTO_CGROUP | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |
                      CLONE_CHILD_CLEARTID | CLONE_VM)) ||
      args->set_tid_size != 0 || args->stack != 0 || args->exit_signal > 0xff) {
    errno = EINVAL;
    return -1;
  }
  // The exit signal travels in the low byte of the flags; the pidfd pointer
  // takes the parent_tid slot (the third argument on every architecture).
  unsigned long flags = static_cast<unsigned long>(args->flags) | static_cast<unsigned long>(args->exit_signal);
  void* pidfd = (args->flags & CLONE_PIDFD) ? reinterpret_cast<void*>(static_cast<uintptr_t>(args->pidfd)) : nullptr;
  return static_cast<pid_t>(::syscall(SYS_clone, flags, nullptr, pidfd, nullptr, nullptr));
}
int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}
int openat2(int dirfd, const char* path, const struct open_how* how) {
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, how, sizeof(*how)));
}
int close_range(unsigned first, unsigned last, unsigned flags) {
  return static_cast<int>(::syscall(SYS_close_range, first, last, flags));
}
int pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}
int open_tree(int dirfd, const char* path, unsigned flags) {
  return static_cast<int>(::syscall(SYS_open_tree, dirfd, path, flags));
}
int move_mount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path,
               unsigned flags) {
  return static_cast<int>(
      ::syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags));
}
int mount_setattr(int dirfd, const char* path, unsigned flags, void* attr, size_t size) {
  return static_cast<int>(::syscall(SYS_mount_setattr, dirfd, path, flags, attr, size));
}
int seccomp(unsigned op, unsigned flags, void* args) {
  return static_cast<int>(::syscall(SYS_seccomp, op, flags, args));
}

}  // namespace berth::sys
