// The terminal's relay between a browser's WebSocket and an exec's stream,
// over socketpairs: the test plays the browser (masked frames) and the exec.
#include "ui/exec_relay.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "kubestream/websocket_frame.h"

namespace berth::ui {
namespace {

namespace ws = kubestream::ws;

struct Pair {
  UniqueFd a, b;
  Pair() {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    a.reset(sv[0]);
    b.reset(sv[1]);
  }
};

void send_all(int fd, const std::string& s) { ASSERT_EQ(::write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size())); }

std::string read_some(int fd) {
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string read_exactly(int fd, size_t n) {
  std::string out;
  while (out.size() < n) {
    std::string s = read_some(fd);
    if (s.empty()) break;
    out += s;
  }
  return out;
}

// Frames the browser end reads until `want` frames arrived (or EOF).
std::vector<ws::Frame> read_frames(int fd, size_t want) {
  std::vector<ws::Frame> out;
  std::string buf;
  while (out.size() < want) {
    ws::Frame f;
    auto used = ws::decode_frame(buf, f, false);
    if (used && *used > 0) {
      buf.erase(0, *used);
      out.push_back(f);
      continue;
    }
    std::string s = read_some(fd);
    if (s.empty()) break;
    buf += s;
  }
  return out;
}

std::string browser(uint8_t opcode, std::string_view payload) { return ws::encode_frame(opcode, payload, true, 0x12345678u); }

TEST(ExecRelay, KeystrokesResizeAndOutputFlowUntilTheExecEnds) {
  Pair web, exec;
  std::vector<std::pair<unsigned, unsigned>> sizes;
  ExecRelayIo io;
  io.ws_fd = web.a.get();
  io.ws_buffered = browser(ws::Text, R"({"resize":[120,40]})");  // arrived with the upgrade request
  io.exec_fd = exec.a.get();
  io.exec_buffered = "$ ";
  io.resize = [&](unsigned cols, unsigned rows) { sizes.emplace_back(cols, rows); };
  std::atomic<int> firsts{0};
  io.first_output = [&] { ++firsts; };
  RelayEnd end{};
  std::thread relay([&] { end = relay_exec(std::move(io)); });

  auto prompt = read_frames(web.b.get(), 1);
  ASSERT_EQ(prompt.size(), 1u);
  EXPECT_EQ(prompt[0].opcode, ws::Binary);
  EXPECT_EQ(prompt[0].payload, "$ ");
  EXPECT_EQ(firsts.load(), 1) << "told before the first output went out";

  // A keystroke message split over two frames (a continuation) arrives whole.
  send_all(web.b.get(), ws::encode_frame(ws::Binary, "ec", false, 7u) + ws::encode_frame(ws::Continuation, "ho hi\r", true, 9u));
  EXPECT_EQ(read_exactly(exec.b.get(), 8), "echo hi\r");
  send_all(web.b.get(), browser(ws::Ping, "p"));
  auto pong = read_frames(web.b.get(), 1);
  ASSERT_EQ(pong.size(), 1u);
  EXPECT_EQ(pong[0].opcode, ws::Pong);
  send_all(web.b.get(), browser(ws::Text, R"({"resize":[0,5]})"));  // ignored: no zero sizes
  send_all(web.b.get(), browser(ws::Text, "not json"));
  send_all(web.b.get(), browser(ws::Text, R"({"resize":[80,24]})"));
  send_all(web.b.get(), browser(ws::Ping, "after-resize"));  // answered once the messages before it are handled
  auto pong2 = read_frames(web.b.get(), 1);
  ASSERT_EQ(pong2.size(), 1u);
  EXPECT_EQ(pong2[0].payload, "after-resize");
  send_all(exec.b.get(), "hi\r\n");
  auto out = read_frames(web.b.get(), 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload, "hi\r\n");

  exec.b.reset();  // the exec ended
  relay.join();
  EXPECT_EQ(end, RelayEnd::ExecEnded);
  EXPECT_EQ(firsts.load(), 1) << "once";
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0], std::make_pair(120u, 40u));
  EXPECT_EQ(sizes[1], std::make_pair(80u, 24u));

  finish_exec_socket(web.a.get(), 3);
  auto tail = read_frames(web.b.get(), 2);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].opcode, ws::Text);
  EXPECT_EQ(tail[0].payload, R"({"exit":3})");
  EXPECT_EQ(tail[1].opcode, ws::Close);
}

TEST(ExecRelay, TheBrowserClosingEndsTheExecsStream) {
  Pair web, exec;
  ExecRelayIo io;
  io.ws_fd = web.a.get();
  io.exec_fd = exec.a.get();
  RelayEnd end{};
  std::thread relay([&] { end = relay_exec(std::move(io)); });
  send_all(web.b.get(), browser(ws::Close, ws::close_payload(1000, "bye")));
  relay.join();
  EXPECT_EQ(end, RelayEnd::BrowserLeft);
  auto echo = read_frames(web.b.get(), 1);
  ASSERT_EQ(echo.size(), 1u);
  EXPECT_EQ(echo[0].opcode, ws::Close);
  EXPECT_EQ(read_some(exec.b.get()), "") << "the exec's stream was shut down (its stdin ends)";
}

TEST(ExecRelay, UnmaskedBrowserFramesEndTheSession) {
  Pair web, exec;
  ExecRelayIo io;
  io.ws_fd = web.a.get();
  io.exec_fd = exec.a.get();
  RelayEnd end{};
  std::thread relay([&] { end = relay_exec(std::move(io)); });
  send_all(web.b.get(), ws::encode_frame(ws::Binary, "ls\r"));  // a server-style (unmasked) frame
  relay.join();
  EXPECT_EQ(end, RelayEnd::BrowserLeft);
  EXPECT_EQ(read_some(exec.b.get()), "");
}

}  // namespace
}  // namespace berth::ui
