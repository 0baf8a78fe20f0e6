#include "ui/exec_relay.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "kubestream/http_upgrade.h"
#include "kubestream/stream_io.h"
#include "kubestream/websocket_frame.h"
#include "ui/terminal_control.h"

namespace berth::ui {

namespace ws = kubestream::ws;

namespace {

class FrameWriter {
 public:
  explicit FrameWriter(int fd) : fd_(fd) {}
  bool send(uint8_t opcode, std::string_view payload) {
    std::lock_guard lock(mu_);
    if (failed_) return false;
    failed_ = !kubestream::send_all(fd_, ws::encode_frame(opcode, payload));
    return !failed_;
  }

 private:
  int fd_;
  std::mutex mu_;
  bool failed_ = false;
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void control(const std::string& text, const ExecRelayIo& io) {
  auto size = parse_control(text);
  if (size && io.resize) io.resize(size->first, size->second);
}

}  // namespace

RelayEnd relay_exec(ExecRelayIo io) {
  FrameWriter out(io.ws_fd);
  kubestream::Wakeup output_done;
  std::thread output([&] {
    bool first = true;
    auto relay = [&](std::string_view data) {
      if (first && io.first_output) io.first_output();
      first = false;
      return out.send(ws::Binary, data);
    };
    if (!io.exec_buffered.empty()) relay(io.exec_buffered);
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(io.exec_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (!relay(std::string_view(buf, static_cast<size_t>(n)))) break;
    }
    output_done.fire();
  });

  RelayEnd end = RelayEnd::BrowserLeft;
  std::string in = std::move(io.ws_buffered);
  std::string message;  // a fragmented message being put together
  uint8_t message_opcode = ws::Binary;
  bool done = false;
  while (!done) {
    // Decode every complete frame already read.
    for (;;) {
      ws::Frame f;
      auto used = ws::decode_frame(in, f, /*require_mask=*/true, 1 << 20);
      if (!used) {
        done = true;  // a protocol error: treat as the browser leaving
        break;
      }
      if (*used == 0) break;
      in.erase(0, *used);
      if (f.opcode == ws::Ping) {
        out.send(ws::Pong, f.payload);
        continue;
      }
      if (f.opcode == ws::Pong) continue;
      if (f.opcode == ws::Close) {
        out.send(ws::Close, f.payload.substr(0, 2));
        done = true;
        break;
      }
      if (f.opcode != ws::Continuation) message_opcode = f.opcode;
      message += f.payload;
      if (!f.fin) continue;
      if (message_opcode == ws::Text) {
        control(message, io);
      } else if (!write_all(io.exec_fd, message)) {
        done = true;
      }
      message.clear();
      if (done) break;
    }
    if (done) break;
    pollfd p[2] = {{io.ws_fd, POLLIN, 0}, {output_done.fd(), POLLIN, 0}};
    int r = ::poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (p[1].revents) {
      end = RelayEnd::ExecEnded;
      break;
    }
    char buf[16384];
    ssize_t n = ::read(io.ws_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  if (end == RelayEnd::BrowserLeft) ::shutdown(io.exec_fd, SHUT_RDWR);  // ends the output thread's read
  output.join();
  return end;
}

void finish_exec_socket(int ws_fd, int exit_code) {
  (void)kubestream::send_all(ws_fd, ws::encode_frame(ws::Text, nlohmann::json{{"exit", exit_code}}.dump()));
  (void)kubestream::send_all(ws_fd, ws::encode_frame(ws::Close, ws::close_payload(1000, "")));
}

void fail_exec_socket(int ws_fd, const std::string& message) {
  (void)kubestream::send_all(ws_fd, ws::encode_frame(ws::Text, nlohmann::json{{"error", message}}.dump()));
  (void)kubestream::send_all(ws_fd, ws::encode_frame(ws::Close, ws::close_payload(1011, "")));
}

}  // namespace berth::ui
