// Whole reads and writes on a blocking fd, retried over EINTR and short
// counts: what the shim's and the microVM agent's frame protocols share.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <string>

#include "base/error.h"

namespace berth {

// Reads len bytes into p unless the fd reaches its end first; returns how many
// were read (len, or fewer at the end). `what` names the read in an error.
Result<size_t> read_full(int fd, char* p, size_t len, const std::string& what);

// Writes every byte of iov[0..count) (at most 8 buffers): sendmsg with
// MSG_NOSIGNAL (a peer gone is an error, not SIGPIPE), or writev when fd is not
// a socket (a character device, such as a virtio-serial port).
Result<void> write_all_iov(int fd, const iovec* iov, int count, const std::string& what);

}  // namespace berth
