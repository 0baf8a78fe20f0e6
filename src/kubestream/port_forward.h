// One forwarded connection of Kubernetes' port-forward protocol, independent
// of the transport: the runtime connects to the port inside the pod, then
// bytes flow both ways between that socket and the client's data stream;
// a failure goes to the error stream as text.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "kubestream/stream_io.h"
#include "kubestream/stream_server.h"

namespace berth::kubestream {

class PortForwarder {
 public:
  PortForwarder(StreamRuntime& runtime, std::string pod_sandbox_id, uint16_t port)
      : runtime_(runtime), sandbox_(std::move(pod_sandbox_id)), port_(port) {}
  ~PortForwarder() { abort(); }

  uint16_t port() const { return port_; }
  // The client's bytes towards the pod (queued until connected).
  InSink& inbound() { return writer_; }
  // Connects and copies pod -> client until the pod side ends (or abort());
  // the client -> pod direction runs alongside. Then closes both streams. Blocks.
  void run(OutStream& data, OutStream& error);
  // The client left: stop copying both ways.
  void abort();

 private:
  StreamRuntime& runtime_;
  std::string sandbox_;
  uint16_t port_;
  FdWriter writer_;
  Wakeup stop_;
  std::mutex mu_;
  int sock_ = -1;
  bool aborted_ = false;
};

// "error forwarding port N to pod ID: why", as the kubelet words it.
std::string port_forward_error(uint16_t port, const std::string& pod_sandbox_id, const std::string& why);

}  // namespace berth::kubestream
