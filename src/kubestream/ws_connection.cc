#include "kubestream/ws_connection.h"

#include <sys/socket.h>

#include <cerrno>

namespace berth::kubestream {

namespace {
constexpr size_t kMaxMessage = 16 << 20;  // one channel message, fragments included

class ChannelStream : public OutStream {
 public:
  ChannelStream(WsConnection& conn, uint8_t ch) : conn_(conn), ch_(ch) {}
  Result<void> write(std::string_view data) override { return conn_.send_channel(ch_, data); }
  void close() override {}

 private:
  WsConnection& conn_;
  uint8_t ch_;
};
}  // namespace

std::shared_ptr<OutStream> WsConnection::channel(uint8_t ch) { return std::make_shared<ChannelStream>(*this, ch); }

Result<void> WsConnection::send_frame(uint8_t opcode, std::string_view payload) {
  std::string bytes = ws::encode_frame(opcode, payload);
  std::lock_guard lock(write_mu_);
  if (write_failed_ || finished_) return fail(Errc::Unavailable, "the WebSocket connection is closed");
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_.get(), bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      write_failed_ = true;
      return fail_errno("writing to the WebSocket connection");
    }
    off += static_cast<size_t>(n);
  }
  if (opcode == ws::Close) finished_ = true;  // nothing may follow a close frame
  return {};
}

Result<void> WsConnection::send_channel(uint8_t channel, std::string_view data) {
  return send_frame(base64_ ? ws::Text : ws::Binary, ws::encode_channel(base64_, channel, data));
}

void WsConnection::serve(const MessageHandler& on_message) {
  char buf[64 * 1024];
  std::string message;
  bool in_message = false;
  for (;;) {
    size_t at = 0;
    bool end = false;
    while (!end) {
      ws::Frame f;
      auto used = ws::decode_frame(std::string_view(in_).substr(at), f, /*require_mask=*/true);
      if (!used) {
        (void)send_frame(ws::Close, ws::close_payload(1002, used.error().message));
        end = true;
        break;
      }
      if (*used == 0) break;
      at += *used;
      switch (f.opcode) {
        case ws::Ping:
          (void)send_frame(ws::Pong, f.payload);
          break;
        case ws::Pong:
          break;
        case ws::Close:
          (void)send_frame(ws::Close, f.payload.size() >= 2 ? f.payload.substr(0, 2) : std::string());
          end = true;
          break;
        case ws::Text:
        case ws::Binary:
        case ws::Continuation:
          if ((f.opcode == ws::Continuation) != in_message) {
            (void)send_frame(ws::Close, ws::close_payload(1002, "unexpected WebSocket continuation frame"));
            end = true;
            break;
          }
          if (message.size() + f.payload.size() > kMaxMessage) {
            (void)send_frame(ws::Close, ws::close_payload(1009, "message too big"));
            end = true;
            break;
          }
          message += f.payload;
          in_message = !f.fin;
          if (f.fin) {
            auto m = ws::decode_channel(base64_, message);
            message.clear();
            if (m) on_message(m->channel, std::move(m->data));
          }
          break;
        default:
          (void)send_frame(ws::Close, ws::close_payload(1002, "unknown WebSocket opcode"));
          end = true;
      }
    }
    in_.erase(0, at);
    if (end) break;
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in_.append(buf, static_cast<size_t>(n));
  }
}

void WsConnection::finish() {
  (void)send_frame(ws::Close, ws::close_payload(1000, ""));
  std::lock_guard lock(write_mu_);
  finished_ = true;
  ::shutdown(fd_.get(), SHUT_WR);
}

void WsConnection::shutdown() { ::shutdown(fd_.get(), SHUT_RDWR); }

}  // namespace berth::kubestream
