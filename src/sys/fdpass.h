// Passing file descriptors over UNIX sockets (SCM_RIGHTS).
#pragma once

#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::sys {

// Sends fd with a small payload. Allocation-free: usable in a cloned child.
int send_fd_raw(int sock, int fd, const void* data, size_t len);
Result<void> send_fd(int sock, int fd, std::string_view payload = "x");
// Receives one fd (and the payload, ignored). Returns the fd with O_CLOEXEC.
Result<UniqueFd> recv_fd(int sock);

}  // namespace berth::sys
