// Writing whole buffers to a client's socket (attach, exec, logs): a client
// that went away must not raise SIGPIPE, and a short write is continued.
#pragma once

#include <string_view>

namespace berth::engine {

// false when the peer is gone (the rest is dropped).
bool send_all(int fd, std::string_view data);

}  // namespace berth::engine
