// The CRI streaming server: the HTTP endpoint whose single-use URLs the CRI
// Exec, Attach and PortForward RPCs return. The kubelet (or crictl, kubectl
// through the kubelet's proxy) connects to such a URL and upgrades the
// connection to SPDY/3.1 or WebSocket, then speaks Kubernetes' remote-command
// (exec, attach) or port-forward protocol over it. The runtime behind it sees
// plain file descriptors only (StreamRuntime).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::kubestream {

// Terminal sizes (tty only). The runtime registers a handler through the
// SetResize it is given; the server calls that handler for every size message
// from the client, on a server thread, until exec/attach returns. A size that
// arrived before the handler was registered is delivered at registration (the
// client usually sends the initial size at once).
using ResizeHandler = std::function<void(unsigned rows, unsigned cols)>;
using SetResize = std::function<void(ResizeHandler)>;

// The runtime side sees plain fds: blocking pipes with close-on-exec set (dup2
// them into the process); -1 when the stream was not asked for. With tty,
// stdout carries both output streams and stderr_fd is -1. stdin_fd reaches
// end of file when the client closes its stdin (or leaves); writes to
// stdout/stderr fail with EPIPE once the client has left.
// client_gone becomes readable (poll POLLIN) when the client disconnects, so
// that attach (or a command nobody listens to any more) can end early.
struct StreamIo {
  UniqueFd stdin_fd, stdout_fd, stderr_fd;
  UniqueFd client_gone;
};

class StreamRuntime {  // implemented by the CRI pods side
 public:
  virtual ~StreamRuntime() = default;
  // Called on a server thread, one per session (sessions run concurrently).
  // Runs cmd in the container, wiring the given fds; returns its exit code (or
  // an error, e.g. NotFound for an unknown container). When it returns,
  // everything the command wrote must already be in the fds (the server drains
  // what is buffered, then ends the streams), and the fds are closed.
  virtual Result<int> exec(const std::string& container_id, const std::vector<std::string>& cmd, bool tty,
                           StreamIo io, SetResize set_resize) = 0;
  // Attaches to the container's main process until it exits (its exit code)
  // or the client goes away (io.client_gone readable; then any result will do).
  virtual Result<int> attach(const std::string& container_id, bool tty, StreamIo io, SetResize set_resize) = 0;
  // Connects to 127.0.0.1:port inside the pod's network namespace and returns the connected socket.
  virtual Result<UniqueFd> port_forward(const std::string& pod_sandbox_id, uint16_t port) = 0;
};

struct ExecRequest {
  std::string container_id;
  std::vector<std::string> cmd;
  bool tty = false, stdin_ = false, stdout_ = true, stderr_ = true;
};
struct AttachRequest {
  std::string container_id;
  bool tty = false, stdin_ = false, stdout_ = true, stderr_ = true;
};
struct PortForwardRequest {
  std::string pod_sandbox_id;
  std::vector<uint16_t> ports;  // may be empty: the client names the ports then
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 = any free port
  std::chrono::seconds token_ttl{60};
  // The client must have opened all the streams of an exec/attach (or both
  // streams of a forwarded connection) within this time after the upgrade.
  std::chrono::milliseconds stream_creation_timeout{30000};
  // The clock the token cache reads (tests move it); steady_clock when empty.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

class StreamServer {
 public:
  virtual ~StreamServer() = default;
  static Result<std::unique_ptr<StreamServer>> start(ServerOptions, StreamRuntime&);
  // Each returns the single-use URL the kubelet/crictl connects to
  // (http://127.0.0.1:PORT/exec/TOKEN, ...). InvalidArgument for a request
  // that cannot be served (no container id, exec without a command, no stream asked for).
  virtual Result<std::string> get_exec(const ExecRequest&) = 0;
  virtual Result<std::string> get_attach(const AttachRequest&) = 0;
  virtual Result<std::string> get_port_forward(const PortForwardRequest&) = 0;
  // The URL's scheme, host and port: "http://127.0.0.1:PORT".
  virtual std::string base_url() const = 0;
  // Stops accepting and ends the open streams; idempotent (the destructor calls it too).
  virtual void stop() = 0;
};

}  // namespace berth::kubestream
