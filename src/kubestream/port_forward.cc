#include "kubestream/port_forward.h"

#include <sys/socket.h>

namespace berth::kubestream {

std::string port_forward_error(uint16_t port, const std::string& pod_sandbox_id, const std::string& why) {
  return "error forwarding port " + std::to_string(port) + " to pod " + pod_sandbox_id + ": " + why;
}

void PortForwarder::run(OutStream& data, OutStream& error) {
  auto sock = runtime_.port_forward(sandbox_, port_);
  if (!sock) {
    writer_.stop();
    (void)error.write(port_forward_error(port_, sandbox_, sock.error().str()));
    error.close();
    data.close();
    return;
  }
  int fd = sock->get();
  {
    std::lock_guard lock(mu_);
    if (aborted_) return;
    sock_ = fd;
  }
  // The client's half-close becomes the socket's: the pod sees end of input.
  writer_.start(fd, [fd] { ::shutdown(fd, SHUT_WR); });
  PumpEnd end = pump(fd, data, &stop_);
  if (end == PumpEnd::ReadFailed) {
    (void)error.write(port_forward_error(port_, sandbox_, "reading from the pod's connection failed"));
  }
  data.close();
  error.close();
  writer_.stop();
  std::lock_guard lock(mu_);
  sock_ = -1;
}

void PortForwarder::abort() {
  {
    std::lock_guard lock(mu_);
    aborted_ = true;
    if (sock_ >= 0) ::shutdown(sock_, SHUT_RDWR);
  }
  stop_.fire();
  writer_.stop();
}

}  // namespace berth::kubestream
