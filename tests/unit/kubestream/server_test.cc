// The streaming server in-process, driven by a minimal SPDY client built on
// the module's own Framer (the Go and Python interop tests use the real
// client libraries) and a raw HTTP client for the refusals.
#include "kubestream/stream_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <map>

#include "fake_runtime.h"
#include "kubestream/spdy_frame.h"
#include "kubestream/websocket_frame.h"

namespace berth::kubestream {
namespace {

using testing::FakeRuntime;

struct Url {
  uint16_t port;
  std::string path;
};

Url parse(const std::string& url) {
  // http://127.0.0.1:PORT/kind/token
  auto colon = url.rfind(':');
  auto slash = url.find('/', colon);
  return {static_cast<uint16_t>(std::stoi(url.substr(colon + 1, slash - colon - 1))), url.substr(slash)};
}

UniqueFd dial(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return fd;
}

void send_str(int fd, std::string_view s) {
  ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
}

struct Response {
  int status = 0;
  std::string head, rest;
};

// Reads the response head; rest holds what followed it (a body or the upgraded protocol).
Response read_response(int fd) {
  Response r;
  std::string buf;
  char c[4096];
  while (buf.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, c, sizeof c, 0);
    if (n <= 0) break;
    buf.append(c, static_cast<size_t>(n));
  }
  auto end = buf.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  r.head = buf.substr(0, end);
  r.rest = buf.substr(end + 4);
  r.status = std::stoi(r.head.substr(9, 3));
  return r;
}

Response request(const std::string& url, const std::string& method, const std::string& headers) {
  Url u = parse(url);
  UniqueFd fd = dial(u.port);
  send_str(fd.get(), method + " " + u.path + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
  Response r = read_response(fd.get());
  char c[4096];
  for (ssize_t n; (n = ::recv(fd.get(), c, sizeof c, 0)) > 0;) r.rest.append(c, static_cast<size_t>(n));
  return r;
}

const char* kSpdyV4 = "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n";

class SpdyClient {
 public:
  explicit SpdyClient(const std::string& url, const std::string& protocol_headers = kSpdyV4) {
    Url u = parse(url);
    fd_ = dial(u.port);
    send_str(fd_.get(), "POST " + u.path + " HTTP/1.1\r\nHost: x\r\n" + protocol_headers + "\r\n");
    Response r = read_response(fd_.get());
    status = r.status;
    head = r.head;
    buf_ = r.rest;
  }
  void send(const spdy::Frame& f) {
    auto bytes = framer_.encode(f);
    ASSERT_TRUE(bytes);
    send_str(fd_.get(), *bytes);
  }
  void open(uint32_t id, const std::string& type) {
    spdy::Frame f;
    f.type = spdy::FrameType::SynStream;
    f.stream_id = id;
    f.headers = {{"streamtype", type}};
    send(f);
  }
  void data(uint32_t id, const std::string& d, bool fin) {
    spdy::Frame f;
    f.stream_id = id;
    f.data = d;
    f.flags = fin ? spdy::kFlagFin : 0;
    send(f);
  }
  // The next frame; nullopt when the server closed the connection.
  std::optional<spdy::Frame> next() {
    for (;;) {
      spdy::Frame f;
      auto used = framer_.decode(buf_, f);
      EXPECT_TRUE(used);
      if (!used) return std::nullopt;
      if (*used) {
        buf_.erase(0, *used);
        return f;
      }
      char c[65536];
      ssize_t n = ::recv(fd_.get(), c, sizeof c, 0);
      if (n <= 0) return std::nullopt;
      buf_.append(c, static_cast<size_t>(n));
    }
  }
  // Reads until every stream in `ids` has ended; returns each one's data.
  std::map<uint32_t, std::string> collect(std::set<uint32_t> ids) {
    std::map<uint32_t, std::string> got;
    while (!ids.empty()) {
      auto f = next();
      if (!f) break;
      if (f->type == spdy::FrameType::Data) {
        got[f->stream_id] += f->data;
        if (f->flags & spdy::kFlagFin) ids.erase(f->stream_id);
      } else if (f->type == spdy::FrameType::SynReply) {
        replies.insert(f->stream_id);
      }
    }
    return got;
  }
  int fd() const { return fd_.get(); }

  int status = 0;
  std::string head;
  std::set<uint32_t> replies;

 private:
  UniqueFd fd_;
  spdy::Framer framer_;
  std::string buf_;
};

class StreamServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions opts;
    opts.token_ttl = std::chrono::seconds(30);
    opts.clock = [this] { return now_; };
    auto s = StreamServer::start(opts, runtime_);
    ASSERT_TRUE(s) << s.error().str();
    server_ = std::move(*s);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  std::chrono::steady_clock::time_point now_{std::chrono::hours(5)};
  FakeRuntime runtime_;
  std::unique_ptr<StreamServer> server_;
};

TEST_F(StreamServerTest, UrlNamesTheRealPort) {
  auto url = server_->get_exec(ExecRequest{"c1", {"exit", "0"}});
  ASSERT_TRUE(url);
  EXPECT_EQ(url->rfind(server_->base_url() + "/exec/", 0), 0u) << *url;
  EXPECT_NE(parse(*url).port, 0);
}

TEST_F(StreamServerTest, ExecOverSpdyCarriesStdioAndTheExitCode) {
  auto url = server_->get_exec(ExecRequest{"c1", {"echo-stdin", "42"}, false, true, true, true});
  ASSERT_TRUE(url);
  SpdyClient c(*url);
  ASSERT_EQ(c.status, 101) << c.head;
  EXPECT_NE(c.head.find("X-Stream-Protocol-Version: v4.channel.k8s.io"), std::string::npos);
  c.open(1, "error");
  c.open(3, "stdin");
  c.open(5, "stdout");
  c.open(7, "stderr");
  c.data(3, "some ", false);
  c.data(3, "input", true);
  auto got = c.collect({1, 5, 7});
  EXPECT_EQ(c.replies, (std::set<uint32_t>{1, 3, 5, 7}));
  EXPECT_EQ(got[5], "some input");
  EXPECT_EQ(got[7], "err:10\n");
  auto status = nlohmann::json::parse(got[1]);
  EXPECT_EQ(status["reason"], "NonZeroExitCode");
  EXPECT_EQ(status["details"]["causes"][0]["message"], "42");
  EXPECT_EQ(runtime_.last_container_, "c1");
  // After the status the server says goodbye.
  bool goaway = false;
  while (auto f = c.next()) goaway |= f->type == spdy::FrameType::GoAway;
  EXPECT_TRUE(goaway);
}

TEST_F(StreamServerTest, UnwantedStreamIsReset) {
  auto url = server_->get_exec(ExecRequest{"c1", {"exit", "0"}, false, false, true, false});
  ASSERT_TRUE(url);
  SpdyClient c(*url);
  ASSERT_EQ(c.status, 101);
  c.open(1, "stdin");  // not asked for
  bool reset = false;
  while (!reset) {
    auto f = c.next();
    ASSERT_TRUE(f);
    reset = f->type == spdy::FrameType::RstStream && f->stream_id == 1;
  }
  c.open(3, "error");
  c.open(5, "stdout");
  auto got = c.collect({3, 5});
  EXPECT_EQ(nlohmann::json::parse(got[3])["status"], "Success");
}

TEST_F(StreamServerTest, TokensAreSingleUseAndExpire) {
  auto url = server_->get_exec(ExecRequest{"c1", {"exit", "0"}, false, false, true, false});
  ASSERT_TRUE(url);
  {
    SpdyClient c(*url);
    ASSERT_EQ(c.status, 101);
    c.open(1, "error");
    c.open(3, "stdout");
    c.collect({1, 3});
  }
  EXPECT_EQ(SpdyClient(*url).status, 404);

  auto late = server_->get_attach(AttachRequest{"c1", false, false, true, false});
  ASSERT_TRUE(late);
  now_ += std::chrono::seconds(30);
  auto r = request(*late, "POST", kSpdyV4);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.rest.find("token unknown, already used or expired"), std::string::npos);
  EXPECT_EQ(runtime_.execs_, 1);
}

TEST_F(StreamServerTest, ATokenServesOnlyItsOwnKind) {
  auto url = server_->get_exec(ExecRequest{"c1", {"exit", "0"}});
  ASSERT_TRUE(url);
  std::string token = url->substr(url->rfind('/') + 1);
  EXPECT_EQ(request(server_->base_url() + "/portforward/" + token, "POST", kSpdyV4).status, 404);
  EXPECT_EQ(request(*url, "POST", kSpdyV4).status, 404);  // spent by the wrong use
}

TEST_F(StreamServerTest, BadRequestsGetClearAnswers) {
  auto url = server_->get_exec(ExecRequest{"c1", {"exit", "0"}});
  ASSERT_TRUE(url);
  auto r = request(*url, "GET", "");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.rest.find("missing upgrade headers"), std::string::npos);

  url = server_->get_exec(ExecRequest{"c1", {"exit", "0"}});
  r = request(*url, "POST", "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v9\r\n");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.head.find("X-Accepted-Stream-Protocol-Versions: v4.channel.k8s.io"), std::string::npos);

  url = server_->get_exec(ExecRequest{"c1", {"exit", "0"}});
  EXPECT_EQ(request(*url, "DELETE", kSpdyV4).status, 405);
  EXPECT_EQ(request(server_->base_url() + "/logs/abc", "GET", "").status, 404);

  url = server_->get_exec(ExecRequest{"c1", {"exit", "0"}});
  r = request(*url, "GET", "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v9.channel.k8s.io\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.rest.find("not supported"), std::string::npos);
}

TEST_F(StreamServerTest, RequestsThatCannotBeServedAreRefused) {
  auto no_cmd = server_->get_exec(ExecRequest{"c1", {}});
  ASSERT_FALSE(no_cmd);
  EXPECT_EQ(no_cmd.error().code, Errc::InvalidArgument);
  EXPECT_FALSE(server_->get_exec(ExecRequest{"", {"sh"}}));
  auto tty_err = server_->get_exec(ExecRequest{"c1", {"sh"}, true, true, true, true});
  ASSERT_FALSE(tty_err);
  EXPECT_NE(tty_err.error().message.find("tty and stderr"), std::string::npos);
  EXPECT_FALSE(server_->get_attach(AttachRequest{"c1", false, false, false, false}));
  EXPECT_FALSE(server_->get_port_forward(PortForwardRequest{"", {80}}));
  EXPECT_FALSE(server_->get_port_forward(PortForwardRequest{"p", {0}}));
}

TEST_F(StreamServerTest, WebSocketExecV5) {
  auto url = server_->get_exec(ExecRequest{"c1", {"echo-stdin", "0"}, false, true, true, false});
  ASSERT_TRUE(url);
  Url u = parse(*url);
  UniqueFd fd = dial(u.port);
  send_str(fd.get(), "GET " + u.path + " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n");
  Response r = read_response(fd.get());
  ASSERT_EQ(r.status, 101) << r.head;
  EXPECT_NE(r.head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos);
  send_str(fd.get(), ws::encode_frame(ws::Binary, std::string("\x00hello", 6), true, 0x01020304));
  send_str(fd.get(), ws::encode_frame(ws::Binary, std::string("\xff\x00", 2), true, 0x05060708));
  std::map<int, std::string> got;
  std::string buf = r.rest;
  bool closed = false;
  while (!closed) {
    ws::Frame f;
    auto used = ws::decode_frame(buf, f, false);
    ASSERT_TRUE(used);
    if (*used == 0) {
      char c[4096];
      ssize_t n = ::recv(fd.get(), c, sizeof c, 0);
      ASSERT_GT(n, 0);
      buf.append(c, static_cast<size_t>(n));
      continue;
    }
    buf.erase(0, *used);
    if (f.opcode == ws::Close) {
      closed = true;
    } else {
      ASSERT_FALSE(f.payload.empty());
      got[static_cast<unsigned char>(f.payload[0])] += f.payload.substr(1);
    }
  }
  EXPECT_EQ(got[1], "hello");
  EXPECT_EQ(nlohmann::json::parse(got[3])["status"], "Success");
}

TEST_F(StreamServerTest, RuntimeLearnsThatTheClientLeft) {
  auto url = server_->get_exec(ExecRequest{"c1", {"wait-gone"}, false, false, true, false});
  ASSERT_TRUE(url);
  {
    SpdyClient c(*url);
    ASSERT_EQ(c.status, 101);
    c.open(1, "error");
    c.open(3, "stdout");
    // Both streams exist (replied to), so the command runs; then the client leaves.
    while (c.replies.size() < 2) {
      auto f = c.next();
      ASSERT_TRUE(f);
      if (f->type == spdy::FrameType::SynReply) c.replies.insert(f->stream_id);
    }
  }
  EXPECT_TRUE(runtime_.wait_client_gone());
}

TEST_F(StreamServerTest, StopEndsAnIdleSession) {
  auto url = server_->get_exec(ExecRequest{"c1", {"exit", "0"}});
  ASSERT_TRUE(url);
  SpdyClient c(*url);
  ASSERT_EQ(c.status, 101);
  // No streams: the session waits for them; stop() must not wait for the creation timeout.
  server_->stop();
  while (c.next()) {
  }
  EXPECT_FALSE(server_->get_exec(ExecRequest{"c1", {"exit", "0"}}));
}

}  // namespace
}  // namespace berth::kubestream

namespace berth::kubestream {
namespace {

// A server whose clients must open their streams within 100 ms.
class ShortStreamTimeoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions opts;
    opts.stream_creation_timeout = std::chrono::milliseconds(100);
    auto s = StreamServer::start(opts, runtime_);
    ASSERT_TRUE(s) << s.error().str();
    server_ = std::move(*s);
  }
  testing::FakeRuntime runtime_;
  std::unique_ptr<StreamServer> server_;
};

TEST_F(ShortStreamTimeoutTest, ExecWhoseStreamsNeverCompleteFailsOnTheErrorStream) {
  auto url = server_->get_exec(ExecRequest{"c1", {"exit", "0"}, false, false, true, false});
  ASSERT_TRUE(url);
  SpdyClient c(*url);
  ASSERT_EQ(c.status, 101);
  c.open(1, "error");  // stdout never comes
  auto got = c.collect({1});
  auto status = nlohmann::json::parse(got[1]);
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_NE(status["message"].get<std::string>().find("timed out waiting for the client to create its streams"),
            std::string::npos);
  EXPECT_EQ(runtime_.execs_, 0);
}

TEST_F(ShortStreamTimeoutTest, PortForwardPairWithoutItsDataStreamIsGivenUp) {
  auto url = server_->get_port_forward(PortForwardRequest{"pod1", {}});
  ASSERT_TRUE(url);
  SpdyClient c(*url, "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n");
  ASSERT_EQ(c.status, 101);
  spdy::Frame f;
  f.type = spdy::FrameType::SynStream;
  f.stream_id = 1;
  f.headers = {{"streamtype", "error"}, {"port", "1000"}, {"requestid", "7"}};
  c.send(f);
  auto got = c.collect({1});
  EXPECT_EQ(got[1], "timed out waiting for the data and error streams of request 7");
  // The connection still serves a complete pair afterwards.
  f.stream_id = 3;
  f.headers = {{"streamtype", "error"}, {"port", "2000"}, {"requestid", "8"}};
  c.send(f);
  f.stream_id = 5;
  f.headers = {{"streamtype", "data"}, {"port", "2000"}, {"requestid", "8"}};
  c.send(f);
  c.data(5, "xyz", true);
  got = c.collect({3, 5});
  EXPECT_EQ(got[5], "2000:XYZ");
  EXPECT_EQ(got[3], "");
}

}  // namespace
}  // namespace berth::kubestream
