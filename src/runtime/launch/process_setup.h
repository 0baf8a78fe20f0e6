// Child-side steps shared by a container's init and by `exec`: terminal,
// limits, identity, capabilities, seccomp, and the final execve. Each step
// reports a failure on the sync socket (fixed-size record) and returns -1.
#pragma once

#include <cstddef>

#include "runtime/launch/plan.h"

namespace berth::runtime {

// Opens a pty in the container's /dev/pts, sends the master over the console
// socket, and makes the slave the controlling terminal and stdio.
int setup_terminal(const ProcessPlan& p, int sync_fd);
// Closes every fd from `first` up except those in keep[0..n) (sorted in place):
// a new container process holds only what it needs (no host directory fds).
void close_fds_except(int* keep, size_t n, unsigned first);
// Marks every fd above the preserved ones close-on-exec (CVE-2024-21626).
int close_inherited_fds(const ProcessPlan& p, int sync_fd);
// What is left for the last moment before execve: the seccomp filter is loaded
// after every syscall of the runtime's own (so that a profile denying, say,
// getcwd or stat cannot break the set-up), and without no_new_privs the load
// needs CAP_SYS_ADMIN, which is then held until the filter is in and dropped
// by one capset right after it.
struct PendingSeccomp {
  bool load = false;
  bool restore_caps = false;  // capset to final_caps after loading
  CapSets final_caps;         // effective/permitted/inheritable (ambient is already set)
};

// rlimits, oom_score_adj, personality, ioprio, no_new_privs, cwd (verified
// inside the root, before the user changes where root may enter it), the
// seccomp filter only when it has a notify listener (the runtime needs the fd
// before Ready), bounding set, groups/gid/uid, capabilities, umask.
int apply_process_identity(const ProcessPlan& p, int sync_fd, PendingSeccomp* pending);
// Finds args[0] in PATH as execvp would (written to out). Errors as runc words
// them ("executable file not found in $PATH"), which Docker and Podman map to 127.
int find_executable(const ProcessPlan& p, char* out, size_t out_len, int sync_fd);
// Resets signals, loads the pending seccomp filter, then execve. On failure
// writes the error to report_fd (a record as sync_send_error) and _exits(127).
[[noreturn]] void exec_process(const ProcessPlan& p, const char* path, const PendingSeccomp& pending,
                               int report_fd);

}  // namespace berth::runtime
