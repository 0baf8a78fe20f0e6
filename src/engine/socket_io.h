// Docker's stream frames, and writing whole buffers to a client's socket (attach, exec, logs): a client
// that went away must not raise SIGPIPE, and a short write is continued.
#pragma once

#include <string>
#include <string_view>

#include "task/task.h"

namespace berth::engine {

// One frame of Docker's multiplexed stream: stream byte, three zeros, the
// big-endian length, then the bytes.
std::string mux_frame(task::Stream stream, std::string_view bytes);

// false when the peer is gone (the rest is dropped).
bool send_all(int fd, std::string_view data);

}  // namespace berth::engine
