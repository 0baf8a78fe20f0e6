// Passing file descriptors over UNIX sockets (SCM_RIGHTS).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::sys {

// Sends fd with a small payload. Allocation-free: usable in a cloned child.
int send_fd_raw(int sock, int fd, const void* data, size_t len);
Result<void> send_fd(int sock, int fd, std::string_view payload = "x");
// Receives up to len bytes into buf and the fd they carry (or -1), close-on-exec.
// Returns the byte count, or -1 with errno.
ssize_t recv_with_fd(int sock, void* buf, size_t len, int* fd);
// Receives one fd (and the payload, ignored). Returns the fd with O_CLOEXEC.
Result<UniqueFd> recv_fd(int sock);

// Several fds (1-8) and a payload in one message, and back.
Result<void> send_fds(int sock, const std::vector<int>& fds, const std::string& payload);
// Up to `max_fds` fds (close-on-exec, maybe none) and the payload (up to 64
// KiB); Unavailable when the peer closed the connection.
Result<std::pair<std::string, std::vector<UniqueFd>>> recv_fds(int sock, size_t max_fds);

}  // namespace berth::sys
