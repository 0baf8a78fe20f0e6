// A streaming connection after the token was taken: upgrade, then serve one
// remote command (exec/attach) or a port-forward session over SPDY or
// WebSocket. Each runs on the connection's thread, with a reader thread for
// the client's frames; it returns when the session is over.
#pragma once

#include <chrono>

#include "base/unique_fd.h"
#include "kubestream/http_upgrade.h"
#include "kubestream/remote_command.h"
#include "kubestream/stream_server.h"

namespace berth::kubestream {

struct SessionLimits {
  std::chrono::milliseconds stream_creation_timeout{30000};  // the client's streams must all exist by then
  std::chrono::milliseconds linger{10000};                   // waiting for the client to close after the end
};

void serve_remote_command(UniqueFd fd, HttpRequest req, CommandRequest cmd, StreamRuntime& runtime,
                          const SessionLimits& limits);
void serve_port_forward(UniqueFd fd, HttpRequest req, PortForwardRequest pf, StreamRuntime& runtime,
                        const SessionLimits& limits);

}  // namespace berth::kubestream
