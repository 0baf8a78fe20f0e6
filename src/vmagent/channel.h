// The agent's end of the host channel: a non-blocking fd (the virtio-serial
// port in a guest, a socket in tests) read into a FrameDecoder and written
// frame by frame. A virtio-serial port reads 0 while no host is connected and
// wakes its pollers when one connects, so the channel tracks "connected" and
// the agent waits for the next wake-up instead of treating EOF as the end.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "vmproto/frame.h"

namespace berth::vmagent {

class Channel {
 public:
  explicit Channel(int fd) : fd_(fd) {}
  int fd() const { return fd_; }
  bool connected() const { return connected_; }

  // Reads what is there (non-blocking). Returns the complete frames; sets
  // connected() false when the host has gone (EOF, a hang-up or a broken
  // framing), after which the frames are dropped until the next Hello.
  std::vector<vmproto::FrameData> read_available();
  // Writes one frame, waiting while the host is slow to take it. While no
  // host is connected it drops the frame (the host that connects next asks
  // for what it needs: "wait" replies carry exit statuses).
  void send(vmproto::Frame type, uint32_t stream, std::string_view payload);
  // A new host session (its Hello arrived): framing starts fresh.
  void reset();
  void mark_connected() { connected_ = true; }

 private:
  int fd_;
  bool connected_ = true;
  bool heard_ = false;  // a host has sent something (a port with no host yet reads EOF too)
  vmproto::FrameDecoder decoder_;
};

}  // namespace berth::vmagent
