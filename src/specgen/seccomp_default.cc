// Docker's default seccomp profile: an allow list (everything else fails with
// EPERM), with the syscalls that need a capability allowed only when the
// container has it, personality(2) limited to the harmless personas, clone(2)
// refused namespace flags without CAP_SYS_ADMIN, and clone3 answering ENOSYS
// (its flags are behind a pointer seccomp cannot read) so libc falls back to
// clone. Kept in Docker's profile format, so the same converter handles it and
// user profiles; the data is written here as compact tables.
#include <cerrno>

#include "base/strings.h"
#include "specgen/specgen.h"

namespace berth::specgen {
namespace {

using nlohmann::json;

// Allowed for every container.
constexpr const char kAlwaysAllowed[] =
    "accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 "
    "clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime "
    "clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range connect "
    "copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old "
    "epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit "
    "exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir "
    "fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr "
    "flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync "
    "ftruncate ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd getdents "
    "getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 "
    "getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid "
    "getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname "
    "getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch "
    "inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents "
    "io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit "
    "io_uring_enter io_uring_register io_uring_setup ipc kill landlock_add_rule "
    "landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat "
    "listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise "
    "membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 "
    "mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive "
    "mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget "
    "msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat "
    "_newselect open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc "
    "pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 "
    "process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead "
    "readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg "
    "remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq "
    "rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend "
    "rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr "
    "sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler "
    "sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr "
    "sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop "
    "semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid "
    "setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid "
    "setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid "
    "setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address "
    "setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd "
    "signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 "
    "statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create "
    "timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime "
    "timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime "
    "timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat "
    "utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev";

// Allowed only with the capability (Docker's includes.caps groups).
struct CapGroup {
  const char* cap;
  const char* names;
};
constexpr CapGroup kCapGroups[] = {
    {"CAP_DAC_READ_SEARCH", "open_by_handle_at"},
    {"CAP_SYS_ADMIN",
     "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount "
     "mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname "
     "sethostname setns syslog umount umount2 unshare"},
    {"CAP_SYS_BOOT", "reboot"},
    {"CAP_SYS_CHROOT", "chroot"},
    {"CAP_SYS_MODULE", "delete_module init_module finit_module"},
    {"CAP_SYS_PACCT", "acct"},
    {"CAP_SYS_PTRACE", "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace"},
    {"CAP_SYS_RAWIO", "iopl ioperm"},
    {"CAP_SYS_TIME", "settimeofday stime clock_settime clock_settime64"},
    {"CAP_SYS_TTY_CONFIG", "vhangup"},
    {"CAP_SYS_NICE", "get_mempolicy mbind set_mempolicy set_mempolicy_home_node"},
    {"CAP_SYSLOG", "syslog"},
    {"CAP_BPF", "bpf"},
    {"CAP_PERFMON", "perf_event_open"},
};

// Allowed on these architectures only (Docker's native arch names).
struct ArchGroup {
  const char* arches;
  const char* names;
};
constexpr ArchGroup kArchGroups[] = {
    {"ppc64le", "sync_file_range2 swapcontext"},
    {"arm arm64", "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls"},
    {"amd64 x32", "arch_prctl"},
    {"amd64 x32 x86", "modify_ldt"},
    {"s390 s390x", "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr"},
    {"riscv64", "riscv_flush_icache"},
};

// personality(2) values that change nothing dangerous: PER_LINUX, PER_LINUX32,
// UNAME26, PER_LINUX32|UNAME26, and the 0xffffffff query.
constexpr uint64_t kPersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

// CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET.
constexpr uint64_t kCloneNamespaceFlags = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 |
                                          0x10000000 | 0x20000000 | 0x40000000;

json names_of(const char* list) { return split(list, ' ', true); }

json arch_map() {
  struct Entry {
    const char* arch;
    const char* subs;
  };
  constexpr Entry kArches[] = {
      {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86 SCMP_ARCH_X32"},
      {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"},
      {"SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS SCMP_ARCH_MIPS64N32"},
      {"SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPS SCMP_ARCH_MIPS64"},
      {"SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL SCMP_ARCH_MIPSEL64N32"},
      {"SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_MIPSEL SCMP_ARCH_MIPSEL64"},
      {"SCMP_ARCH_S390X", "SCMP_ARCH_S390"},
      {"SCMP_ARCH_RISCV64", ""},
  };
  json out = json::array();
  for (const auto& e : kArches)
    out.push_back({{"architecture", e.arch}, {"subArchitectures", names_of(e.subs)}});
  return out;
}

json build_default() {
  json syscalls = json::array();
  syscalls.push_back({{"names", names_of(kAlwaysAllowed)}, {"action", "SCMP_ACT_ALLOW"}});
  syscalls.push_back({{"names", {"process_vm_readv", "process_vm_writev", "ptrace"}},
                      {"action", "SCMP_ACT_ALLOW"},
                      {"includes", {{"minKernel", "4.8"}}}});
  syscalls.push_back({{"names", {"socket"}},
                      {"action", "SCMP_ACT_ALLOW"},
                      {"args", {{{"index", 0}, {"value", 40 /* AF_VSOCK */}, {"op", "SCMP_CMP_NE"}}}}});
  for (uint64_t p : kPersonalities)
    syscalls.push_back({{"names", {"personality"}},
                        {"action", "SCMP_ACT_ALLOW"},
                        {"args", {{{"index", 0}, {"value", p}, {"op", "SCMP_CMP_EQ"}}}}});
  for (const auto& g : kArchGroups)
    syscalls.push_back({{"names", names_of(g.names)},
                        {"action", "SCMP_ACT_ALLOW"},
                        {"includes", {{"arches", names_of(g.arches)}}}});
  for (const auto& g : kCapGroups)
    syscalls.push_back({{"names", names_of(g.names)},
                        {"action", "SCMP_ACT_ALLOW"},
                        {"includes", {{"caps", {g.cap}}}}});
  // clone without namespace flags; s390 passes the flags in the second argument.
  json clone_args = {{{"index", 0}, {"value", kCloneNamespaceFlags}, {"valueTwo", 0},
                      {"op", "SCMP_CMP_MASKED_EQ"}}};
  syscalls.push_back({{"names", {"clone"}},
                      {"action", "SCMP_ACT_ALLOW"},
                      {"args", clone_args},
                      {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}, {"arches", {"s390", "s390x"}}}}});
  clone_args[0]["index"] = 1;
  syscalls.push_back({{"names", {"clone"}},
                      {"action", "SCMP_ACT_ALLOW"},
                      {"args", clone_args},
                      {"includes", {{"arches", {"s390", "s390x"}}}},
                      {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}}}});
  syscalls.push_back({{"names", {"clone3"}},
                      {"action", "SCMP_ACT_ERRNO"},
                      {"errnoRet", ENOSYS},
                      {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}}}});

  return json{{"defaultAction", "SCMP_ACT_ERRNO"},
              {"defaultErrnoRet", EPERM},
              {"archMap", arch_map()},
              {"syscalls", std::move(syscalls)}};
}

}  // namespace

const json& default_seccomp_profile() {
  static const json profile = build_default();
  return profile;
}

}  // namespace berth::specgen
