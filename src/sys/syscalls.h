// Raw syscall wrappers that glibc 2.36 lacks. These return -1 and set errno,
// so they are safe to call between clone() and execve() (no allocation).
#pragma once

#include <linux/openat2.h>
#include <linux/sched.h>
#include <sys/types.h>

#include <csignal>
#include <cstdint>

namespace berth::sys {

pid_t clone3(struct clone_args* args);
// clone() with clone3's arguments, for where clone3 answers ENOSYS (Docker's
// and many other seccomp profiles, old kernels). Fork-like (no new stack);
// the pidfd of CLONE_PIDFD (kernel >= 5.2) goes to args->pidfd. clone() has
// no CLONE_INTO_CGROUP nor set_tid: asking for them is EINVAL.
pid_t clone_legacy(const struct clone_args* args);
int pidfd_open(pid_t pid);
int pidfd_send_signal(int pidfd, int sig);
int openat2(int dirfd, const char* path, const struct open_how* how);
int close_range(unsigned first, unsigned last, unsigned flags);
int pivot_root(const char* new_root, const char* put_old);
int open_tree(int dirfd, const char* path, unsigned flags);
int move_mount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path,
               unsigned flags);
int mount_setattr(int dirfd, const char* path, unsigned flags, void* attr, size_t size);
int seccomp(unsigned op, unsigned flags, void* args);

}  // namespace berth::sys
