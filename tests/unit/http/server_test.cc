// The server spoken to with raw bytes, to pin down the wire format.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "test_server.h"

namespace berth::server {
namespace {

using berth::testing::connect_unix;
using berth::testing::read_to_eof;
using berth::testing::read_until;
using berth::testing::TestServer;
using berth::testing::write_all;

Router test_router() {
  Router r;
  r.add("GET", "/_ping", [](Request&, ResponseWriter& w) -> Result<void> {
    (void)w.send(200, "text/plain; charset=utf-8", "OK", {{"Cache-Control", "no-cache, no-store, must-revalidate"}});
    return {};
  });
  r.add("GET", "/echo", [](Request& req, ResponseWriter& w) -> Result<void> {
    (void)w.json(200, {{"path", req.path}, {"minor", req.api_minor}, {"versioned", req.versioned}});
    return {};
  });
  r.add("POST", "/body", [](Request& req, ResponseWriter& w) -> Result<void> {
    auto body = req.read_all();
    if (!body) return w.error(body.error());
    (void)w.send(200, "text/plain", *body);
    return {};
  });
  r.add("POST", "/count-reads", [](Request& req, ResponseWriter& w) -> Result<void> {
    std::string buf(1 << 20, '\0');
    size_t calls = 0, bytes = 0;
    for (;;) {
      auto n = req.read_some(buf.data(), buf.size());
      if (!n) return w.error(n.error());
      if (*n == 0) break;
      ++calls;
      bytes += *n;
    }
    (void)w.send(200, "text/plain", std::to_string(calls) + " " + std::to_string(bytes));
    return {};
  });
  r.add("POST", "/ignore-body", [](Request&, ResponseWriter& w) -> Result<void> { (void)w.send(200, "text/plain", "ignored"); return {}; });
  r.add("GET", "/silent", [](Request&, ResponseWriter&) -> Result<void> { return {}; });
  r.add("GET", "/throws", [](Request&, ResponseWriter&) -> Result<void> { throw std::runtime_error("boom"); return {}; });
  r.add("DELETE", "/nothing", [](Request&, ResponseWriter& w) -> Result<void> { (void)w.send(204, "", ""); return {}; });
  r.add("GET", "/stream", [](Request&, ResponseWriter& w) -> Result<void> {
    (void)w.begin_stream(200, "application/json");
    (void)w.write_chunk("{\"a\":1}\n");
    (void)w.write_chunk("{\"b\":2}\n");
    // no end_stream: the server finishes the body
    return {};
  });
  r.add("POST", "/attach", [](Request& req, ResponseWriter& w) -> Result<void> {
    auto h = w.hijack("application/vnd.docker.raw-stream");
    if (!h) return {};
    // Echo what was buffered, then everything until the client's EOF, then
    // write once more after that EOF (half-close).
    std::string got = h->buffered + berth::testing::read_to_eof(h->fd.get());
    berth::testing::write_all(h->fd.get(), "echo:" + got + ":bye");
    return {};
  });
  return r;
}

TEST(Server, HeadHasLengthButNoBodyAndCommonHeaders) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  ASSERT_TRUE(c);
  ASSERT_TRUE(write_all(c.get(), "HEAD /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string resp = read_to_eof(c.get());
  EXPECT_TRUE(resp.starts_with("HTTP/1.1 200 OK\r\n")) << resp;
  EXPECT_NE(resp.find("Content-Length: 2\r\n"), std::string::npos) << resp;
  EXPECT_NE(resp.find("Api-Version: 1.41\r\n"), std::string::npos) << resp;
  EXPECT_NE(resp.find("Docker-Experimental: false\r\n"), std::string::npos) << resp;
  EXPECT_NE(resp.find("Ostype: linux\r\n"), std::string::npos) << resp;
  EXPECT_NE(resp.find("Server: "), std::string::npos) << resp;
  EXPECT_NE(resp.find("Cache-Control: no-cache"), std::string::npos) << resp;
  EXPECT_TRUE(resp.ends_with("\r\n\r\n")) << "HEAD must not carry the body: " << resp;
}

TEST(Server, CommonHeadersAreConfigurable) {
  ServerOptions o;
  o.common_headers = {{"server", "Docker/20.10.99 (linux)"}, {"X-Extra", "1"}};
  TestServer ts(test_router(), o);
  UniqueFd c = connect_unix(ts.socket_path());
  ASSERT_TRUE(write_all(c.get(), "GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string resp = read_to_eof(c.get());
  EXPECT_NE(resp.find("Server: Docker/20.10.99 (linux)\r\n"), std::string::npos) << resp;
  EXPECT_EQ(resp.find("berth (linux)"), std::string::npos) << resp;
  EXPECT_NE(resp.find("X-Extra: 1\r\n"), std::string::npos) << resp;
  EXPECT_TRUE(resp.ends_with("\r\n\r\nOK"));
}

TEST(Server, PipelinedRequestsOnOneConnection) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  ASSERT_TRUE(write_all(c.get(),
                        "GET /v1.30/echo HTTP/1.1\r\nHost: x\r\n\r\n"
                        "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                        "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string resp = read_to_eof(c.get());
  EXPECT_NE(resp.find(R"({"minor":30,"path":"/echo","versioned":true})"), std::string::npos) << resp;
  EXPECT_NE(resp.find("\r\n\r\nhello"), std::string::npos) << resp;
  EXPECT_NE(resp.find(R"({"minor":41,"path":"/echo","versioned":false})"), std::string::npos) << resp;
}

TEST(Server, UnreadBodyIsDrainedAndTheConnectionKept) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  ASSERT_TRUE(write_all(c.get(),
                        "POST /ignore-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "3\r\nabc\r\n0\r\n\r\n"
                        "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string resp = read_to_eof(c.get());
  EXPECT_NE(resp.find("ignored"), std::string::npos) << resp;
  EXPECT_NE(resp.find(R"("path":"/echo")"), std::string::npos) << resp;
}

TEST(Server, ChunkedRequestBody) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  ASSERT_TRUE(write_all(c.get(),
                        "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  std::string resp = read_to_eof(c.get());
  EXPECT_NE(resp.find("Content-Length: 11\r\n"), std::string::npos) << resp;
  EXPECT_TRUE(resp.ends_with("\r\n\r\nhello world")) << resp;
}

// A large upload (docker import, load, a build context) is read in large
// pieces, not in the few hundred bytes the header buffer has left.
TEST(Server, ALargeBodyIsReadInLargePieces) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  const size_t size = 4 << 20;
  std::thread writer([&] {
    (void)write_all(c.get(), "POST /count-reads HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(size) +
                                 "\r\nConnection: close\r\n\r\n" + std::string(size, 'x'));
  });
  std::string resp = read_to_eof(c.get());
  writer.join();
  auto body = resp.substr(resp.find("\r\n\r\n") + 4);
  size_t calls = std::stoul(body.substr(0, body.find(' ')));
  EXPECT_EQ(body.substr(body.find(' ') + 1), std::to_string(size)) << resp;
  EXPECT_LE(calls, size / (16 << 10)) << "4 MiB read in " << calls << " pieces";
}

TEST(Server, ExpectContinue) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  ASSERT_TRUE(write_all(c.get(),
                        "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n"
                        "Connection: close\r\n\r\n"));
  std::string interim = read_until(c.get(), "\r\n\r\n");
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(write_all(c.get(), "abc"));
  std::string resp = read_to_eof(c.get());
  EXPECT_TRUE(resp.starts_with("HTTP/1.1 200 OK")) << resp;
  EXPECT_TRUE(resp.ends_with("\r\n\r\nabc")) << resp;
}

TEST(Server, NoContentHasNoLength) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  ASSERT_TRUE(write_all(c.get(), "DELETE /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string resp = read_to_eof(c.get());
  EXPECT_TRUE(resp.starts_with("HTTP/1.1 204 No Content\r\n")) << resp;
  EXPECT_EQ(resp.find("Content-Length"), std::string::npos) << resp;
}

TEST(Server, HandlerWithoutAnswerOrThrowingGets500) {
  TestServer ts(test_router());
  for (const char* path : {"/silent", "/throws"}) {
    UniqueFd c = connect_unix(ts.socket_path());
    ASSERT_TRUE(write_all(c.get(), std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::string resp = read_to_eof(c.get());
    EXPECT_TRUE(resp.starts_with("HTTP/1.1 500 Internal Server Error\r\n")) << resp;
    EXPECT_NE(resp.find("Content-Type: application/json"), std::string::npos) << resp;
    EXPECT_NE(resp.find("{\"message\":\"internal error"), std::string::npos) << resp;
  }
}

TEST(Server, MalformedRequestGets400AndClose) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  ASSERT_TRUE(write_all(c.get(), "GARBAGE\r\n\r\n"));
  std::string resp = read_to_eof(c.get());
  EXPECT_TRUE(resp.starts_with("HTTP/1.1 400 Bad Request\r\n")) << resp;
}

TEST(Server, StreamIsChunkedAndFinishedByTheServer) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  ASSERT_TRUE(write_all(c.get(), "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string resp = read_to_eof(c.get());
  EXPECT_NE(resp.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << resp;
  EXPECT_TRUE(resp.ends_with("\r\n\r\n8\r\n{\"a\":1}\n\r\n8\r\n{\"b\":2}\n\r\n0\r\n\r\n")) << resp;
}

TEST(Server, HijackWithoutUpgradeIs200RawStream) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  // The first stdin bytes travel with the request: they must reach the handler.
  ASSERT_TRUE(write_all(c.get(), "POST /v1.41/attach HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}early"));
  std::string head = read_until(c.get(), "\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n")) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  EXPECT_NE(head.find("Api-Version: 1.41\r\n"), std::string::npos) << head;
  ASSERT_TRUE(write_all(c.get(), "-late"));
  ::shutdown(c.get(), SHUT_WR);
  std::string rest = head.substr(head.find("\r\n\r\n") + 4) + read_to_eof(c.get());
  EXPECT_EQ(rest, "echo:early-late:bye");
}

TEST(Server, HijackWithUpgradeIs101) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  ASSERT_TRUE(write_all(c.get(),
                        "POST /attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                        "Content-Length: 0\r\n\r\n"));
  std::string head = read_until(c.get(), "\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                               "Connection: Upgrade\r\nUpgrade: tcp\r\n"))
      << head;
  ASSERT_TRUE(write_all(c.get(), "in"));
  ::shutdown(c.get(), SHUT_WR);
  std::string rest = head.substr(head.find("\r\n\r\n") + 4) + read_to_eof(c.get());
  EXPECT_EQ(rest, "echo:in:bye");
}

TEST(Server, StopClosesIdleConnectionsAndReturnsFromRun) {
  TestServer ts(test_router());
  UniqueFd c = connect_unix(ts.socket_path());
  ASSERT_TRUE(write_all(c.get(), "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string resp = read_until(c.get(), "\r\n\r\nOK");
  ASSERT_TRUE(resp.ends_with("OK")) << resp;
  ts.stop();  // joins run(): returns although this keep-alive connection is open
  EXPECT_EQ(read_to_eof(c.get()), "");  // and the idle connection was closed
  EXPECT_FALSE(connect_unix(ts.socket_path()));  // nobody accepts any more
}

TEST(Server, StopBeforeRunReturnsAtOnce) {
  Server s(Router{}, {});
  char tmpl[] = "/tmp/berth-http-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  ASSERT_TRUE(s.listen(dir + "/s.sock", 0600, ""));
  s.stop();
  EXPECT_TRUE(s.run());
  std::filesystem::remove_all(dir);
}

TEST(Server, ListenReplacesStaleSocketAndRefusesOtherFiles) {
  char tmpl[] = "/tmp/berth-http-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  {
    Server a(Router{}, {});
    ASSERT_TRUE(a.listen("unix://" + dir + "/s.sock", 0640, ""));
    struct stat st;
    ASSERT_EQ(::stat((dir + "/s.sock").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    Server b(Router{}, {});  // the first one's socket is replaced
    ASSERT_TRUE(b.listen("unix://" + dir + "/s.sock", 0600, ""));
    EXPECT_EQ(b.addresses(), std::vector<std::string>{"unix://" + dir + "/s.sock"});
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/s.sock")) << "removed by the server that owned it";
  std::ofstream(dir + "/file") << "x";
  Server c(Router{}, {});
  auto r = c.listen(dir + "/file", 0600, "");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not a socket"), std::string::npos) << r.error().str();
  auto bad = c.listen("ssh://host", 0600, "");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
  std::filesystem::remove_all(dir);
}

TEST(Server, TcpOnEphemeralPort) {
  Router r;
  r.add("GET", "/_ping", [](Request&, ResponseWriter& w) -> Result<void> { (void)w.send(200, "text/plain", "OK"); return {}; });
  Server s(std::move(r), {});
  ASSERT_TRUE(s.listen("tcp://127.0.0.1:0"));
  auto addrs = s.addresses();
  ASSERT_EQ(addrs.size(), 1u);
  ASSERT_TRUE(addrs[0].starts_with("tcp://127.0.0.1:")) << addrs[0];
  int port = std::stoi(addrs[0].substr(addrs[0].rfind(':') + 1));
  ASSERT_GT(port, 0);
  std::thread t([&] { EXPECT_TRUE(s.run()); });
  UniqueFd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_TRUE(write_all(c.get(), "GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(read_to_eof(c.get()).ends_with("\r\n\r\nOK"));
  s.stop();
  t.join();
}

}  // namespace
}  // namespace berth::server

namespace berth::server {
namespace {

TEST(Server, VersionOutOfRangeIs400WithDockersMessage) {
  TestServer ts(test_router());
  struct Case {
    const char* target;
    const char* message;
  } cases[] = {
      {"/v1.50/echo", "client version 1.50 is too new. Maximum supported API version is 1.41"},
      {"/v1.12/echo",
       "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a "
       "newer version"},
  };
  for (const auto& c : cases) {
    UniqueFd fd = connect_unix(ts.socket_path());
    ASSERT_TRUE(write_all(fd.get(), std::string("GET ") + c.target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::string resp = read_to_eof(fd.get());
    EXPECT_TRUE(resp.starts_with("HTTP/1.1 400 Bad Request\r\n")) << resp;
    EXPECT_TRUE(resp.ends_with(std::string("\r\n\r\n{\"message\":\"") + c.message + "\"}\n")) << resp;
  }
}

TEST(Server, UnknownPathIs404AndWrongMethod405) {
  TestServer ts(test_router());
  UniqueFd fd = connect_unix(ts.socket_path());
  ASSERT_TRUE(write_all(fd.get(),
                        "GET /v1.41/nope HTTP/1.1\r\nHost: x\r\n\r\n"
                        "PUT /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string resp = read_to_eof(fd.get());
  EXPECT_TRUE(resp.starts_with("HTTP/1.1 404 Not Found\r\n")) << resp;
  EXPECT_NE(resp.find("{\"message\":\"page not found\"}\n"), std::string::npos) << resp;
  EXPECT_NE(resp.find("HTTP/1.1 405 Method Not Allowed\r\n"), std::string::npos) << resp;
}

}  // namespace
}  // namespace berth::server
