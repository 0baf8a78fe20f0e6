// The server's end of a WebSocket on an upgraded HTTP connection, carrying
// Kubernetes' channel protocols: every message is one channel's data. Pings
// are answered; the client's close ends the session.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "base/unique_fd.h"
#include "kubestream/stream_io.h"
#include "kubestream/websocket_frame.h"

namespace berth::kubestream {

class WsConnection {
 public:
  using MessageHandler = std::function<void(uint8_t channel, std::string data)>;
  WsConnection(UniqueFd fd, std::string buffered, bool base64) : fd_(std::move(fd)), in_(std::move(buffered)), base64_(base64) {}

  // Reads messages until the client closes or leaves, or shutdown() is called.
  void serve(const MessageHandler& on_message);
  // One message on a channel; thread-safe.
  Result<void> send_channel(uint8_t channel, std::string_view data);
  // A writer for one channel (close() does nothing: the protocols end a
  // channel with the connection).
  std::shared_ptr<OutStream> channel(uint8_t channel);
  // Graceful end: a close frame (normal closure), then no more writes.
  void finish();
  void shutdown();

 private:
  Result<void> send_frame(uint8_t opcode, std::string_view payload);

  UniqueFd fd_;
  std::string in_;
  bool base64_;
  std::mutex write_mu_;
  bool write_failed_ = false, finished_ = false;
};

}  // namespace berth::kubestream
