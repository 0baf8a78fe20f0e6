// The fixed-size records a container's first process and the runtime exchange
// over a SOCK_SEQPACKET pair. Fixed size, so the child never allocates.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <string>

#include "base/error.h"

namespace berth::runtime {

enum class SyncType : uint32_t {
  Go = 1,          // runtime -> child: id maps written
  NsReady,         // child -> runtime: namespaces set up; runtime runs prestart/createRuntime hooks
  NsReadyAck,
  PrePivot,        // child -> runtime: mounts done; runtime runs createContainer hooks
  PrePivotAck,
  Ready,           // child -> runtime: everything set up, waiting for start
  Error,           // child -> runtime: text + errno, then the child exits
  SeccompListener, // child -> runtime: carries the seccomp notify fd (SCM_RIGHTS)
};

struct SyncMsg {
  SyncType type = SyncType::Go;
  int32_t err = 0;
  char text[1000] = {};
};

// Child side: allocation-free. Returns 0 or -1.
int sync_send(int fd, SyncType type);
// Formats an error record and sends it; the caller then _exits.
void sync_send_error(int fd, int err, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
// Blocks for the next record. -1 on EOF or error.
int sync_recv(int fd, SyncMsg* msg);
// Child side: a record of `type` carrying passfd.
int sync_send_fd(int fd, SyncType type, int passfd);
// Runtime side: the next record and the fd it carries (or -1), close-on-exec.
int sync_recv_with_fd(int fd, SyncMsg* msg, int* passed_fd);

// Runtime side: waits for `expected`; an Error record or EOF becomes an Error.
Result<void> sync_expect(int fd, SyncType expected, const std::string& what);

}  // namespace berth::runtime
