#include "vmagent/channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"

namespace berth::vmagent {

void Channel::reset() {
  decoder_ = vmproto::FrameDecoder();
  connected_ = true;
}

std::vector<vmproto::FrameData> Channel::read_available() {
  std::vector<vmproto::FrameData> frames;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      log::warn("vm agent channel: read: {}", std::strerror(errno));
      connected_ = false;
      break;
    }
    if (n == 0) {
      if (connected_ && heard_) log::info("vm agent channel: the host disconnected");
      connected_ = false;
      break;
    }
    if (!connected_) reset();  // a new host: its first bytes start a frame
    heard_ = true;
    decoder_.feed(std::string_view(buf, static_cast<size_t>(n)));
    for (;;) {
      auto f = decoder_.next();
      if (!f) {
        log::error("vm agent channel: {}; waiting for the host to reconnect", f.error().str());
        connected_ = false;
        return frames;
      }
      if (!*f) break;
      frames.push_back(std::move(**f));
    }
  }
  return frames;
}

void Channel::send(vmproto::Frame type, uint32_t stream, std::string_view payload) {
  if (!connected_) return;
  std::string bytes = vmproto::encode_frame(type, stream, payload);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        // The host is slow to read: wait for room (the agent's other work waits too).
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, -1) < 0 && errno != EINTR) {
          connected_ = false;
          return;
        }
        if (p.revents & (POLLHUP | POLLERR)) {
          connected_ = false;
          return;
        }
        continue;
      }
      log::warn("vm agent channel: write: {}", std::strerror(errno));
      connected_ = false;
      return;
    }
    done += static_cast<size_t>(w);
  }
}

}  // namespace berth::vmagent
