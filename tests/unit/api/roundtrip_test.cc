// The client against a real in-process server on a temp socket.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "../http/test_server.h"
#include "api/client.h"

namespace berth::api {
namespace {

using berth::testing::TestServer;
using server::Request;
using server::ResponseWriter;
using server::Router;

std::unique_ptr<Client> client_for(const TestServer& ts) {
  auto ep = Endpoint::parse(ts.address());
  EXPECT_TRUE(ep);
  auto c = Client::create(*ep);
  EXPECT_TRUE(c);
  return std::move(*c);
}

// FNV-1a, to compare an upload with what the handler received.
uint64_t fnv(uint64_t h, std::string_view data) {
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ULL;
  return h;
}
constexpr uint64_t kFnvInit = 1469598103934665603ULL;

struct Fixture {
  // The streaming handler waits for the client to have seen the first piece.
  std::promise<void> first_piece_seen;
  std::shared_future<void> first_piece_seen_f = first_piece_seen.get_future().share();

  Router router() {
    Router r;
    r.add("GET", "/_ping", [](Request&, ResponseWriter& w) -> Result<void> { (void)w.send(200, "text/plain; charset=utf-8", "OK"); return {}; });
    r.add("GET", "/echo", [](Request& req, ResponseWriter& w) -> Result<void> {
      nlohmann::json q = nlohmann::json::object();
      for (const auto& [k, v] : req.query) q[k].push_back(v);
      struct stat st {};
      ::fstat(w.client_fd(), &st);
      (void)w.json(200, {{"path", req.path}, {"minor", req.api_minor}, {"query", q}, {"conn", st.st_ino}});
    return {};
  });
    r.add("GET", "/images/{name...}/json",
          [](Request& req, ResponseWriter& w) -> Result<void> { (void)w.json(200, {{"name", req.params.at(0)}}); return {}; });
    r.add("DELETE", "/images/{name...}",
          [](Request& req, ResponseWriter& w) -> Result<void> { (void)w.json(200, {{"deleted", req.params.at(0)}}); return {}; });
    r.add("GET", "/containers/{id}/json", [](Request& req, ResponseWriter& w) -> Result<void> {
      (void)w.error(Error{Errc::NotFound, 0, "No such container: " + req.params.at(0)});
    return {};
  });
    r.add("POST", "/containers/create", [](Request& req, ResponseWriter& w) -> Result<void> {
      auto body = req.json_body();
      if (!body) return w.error(body.error());
      (void)w.json(201, {{"Id", "abc"}, {"Image", (*body).value("Image", "")}});
    return {};
  });
    r.add("GET", "/events", [this](Request&, ResponseWriter& w) -> Result<void> {
      (void)w.begin_stream(200, "application/json");
      (void)w.write_chunk("{\"n\":1}\n");
      // Only once the client reports the first piece does the second follow:
      // the client must deliver pieces as they come, not at the end.
      if (first_piece_seen_f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) return {};
      (void)w.write_chunk("{\"n\":2}\n");
      (void)w.end_stream();
    return {};
  });
    r.add("GET", "/images/get", [](Request&, ResponseWriter& w) -> Result<void> {
      (void)w.send(200, "application/x-tar", std::string(4 << 20, 't'));
      return {};
    });
    r.add("POST", "/images/load", [](Request& req, ResponseWriter& w) -> Result<void> {
      uint64_t h = kFnvInit, total = 0, reads = 0;
      char buf[32768];
      while (true) {
        auto n = req.read_some(buf, sizeof buf);
        if (!n) return w.error(n.error());
        if (*n == 0) break;
        h = fnv(h, std::string_view(buf, *n));
        total += *n;
        ++reads;
      }
      (void)w.json(200, {{"bytes", total}, {"fnv", h}, {"reads", reads}, {"ct", req.header("content-type")}});
    return {};
  });
    r.add("POST", "/containers/{id}/attach", [](Request& req, ResponseWriter& w) -> Result<void> {
      auto h = w.hijack("application/vnd.docker.raw-stream");
      if (!h) return {};
      std::string in = h->buffered + berth::testing::read_to_eof(h->fd.get());  // until the client's SHUT_WR
      berth::testing::write_all(h->fd.get(), "got[" + in + "] for " + req.params.at(0));
    return {};
  });
    return r;
  }
};

class RoundTrip : public ::testing::Test {
 protected:
  Fixture fx_;
  TestServer ts_{fx_.router()};
  std::unique_ptr<Client> c_ = client_for(ts_);
};

TEST_F(RoundTrip, NegotiatesAndVersionsPaths) {
  ASSERT_TRUE(c_->negotiate());
  EXPECT_EQ(c_->api_minor(), 41);
  auto r = c_->request("GET", "/echo");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->status, 200);
  auto j = r->json();
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["minor"], 41);
  EXPECT_EQ((*j)["path"], "/echo");
}

TEST(Negotiation, UsesTheLowerOfServerAndClient) {
  for (auto [server_max, expect] : {std::pair{45, 41}, std::pair{30, 30}}) {
    server::ServerOptions o;
    o.max_api_minor = server_max;
    Fixture fx;
    TestServer ts(fx.router(), o);
    auto c = client_for(ts);
    auto r = c->request("GET", "/echo");  // negotiates on first use
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(c->api_minor(), expect);
    EXPECT_EQ((*r->json())["minor"], expect);
  }
}

TEST_F(RoundTrip, HeadGetsHeadersOnly) {
  auto r = c_->request("HEAD", "/_ping");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->headers["content-length"], "2");
  EXPECT_EQ(r->headers["api-version"], "1.41");
  EXPECT_EQ(r->headers["ostype"], "linux");
  // and the connection is still in step for the next request
  auto g = c_->request("GET", "/_ping");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->body, "OK");
}

TEST_F(RoundTrip, QueryDecoding) {
  auto r = c_->request("GET", "/echo?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D&x=a+b&x=c%26d&flag");
  ASSERT_TRUE(r) << r.error().str();
  auto q = (*r->json())["query"];
  EXPECT_EQ(q["filters"][0], R"({"label":["a=b"]})");
  EXPECT_EQ(q["x"], (nlohmann::json{"a b", "c&d"}));
  EXPECT_EQ(q["flag"][0], "");
}

TEST_F(RoundTrip, ImageNamesWithSlashes) {
  for (const char* name : {"library/busybox:latest", "localhost:5000/a/b:c", "busybox"}) {
    auto r = c_->request("GET", std::string("/images/") + name + "/json");
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ((*r->json())["name"], name);
    auto d = c_->request("DELETE", std::string("/images/") + name);
    ASSERT_TRUE(d) << d.error().str();
    EXPECT_EQ((*d->json())["deleted"], name);
  }
}

TEST_F(RoundTrip, NotFoundMethodNotAllowedAndJsonErrors) {
  auto r = c_->request("GET", "/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->error_message(), "page not found");
  r = c_->request("POST", "/_ping");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  r = c_->request("GET", "/containers/web%201/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(errc_for_status(r->status), Errc::NotFound);
  EXPECT_EQ(r->error_message(), "No such container: web 1");
  r = c_->post_json("/containers/create", {{"Image", "busybox"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ((*r->json())["Image"], "busybox");
  r = c_->request("POST", "/containers/create", "{not json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->error_message().find("invalid character"), std::string::npos) << r->error_message();
}

TEST_F(RoundTrip, StreamDeliversPiecesBeforeTheEnd) {
  std::vector<std::string> pieces;
  auto r = c_->stream("GET", "/events", {}, [&](std::string_view piece) {
    pieces.emplace_back(piece);
    if (pieces.size() == 1) fx_.first_piece_seen.set_value();
    return true;
  });
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(pieces, (std::vector<std::string>{"{\"n\":1}\n", "{\"n\":2}\n"}));
  // The connection is reusable after a complete stream.
  auto e = c_->request("GET", "/_ping");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->body, "OK");
}

TEST_F(RoundTrip, StreamStoppedByTheCallerAndErrorBodies) {
  fx_.first_piece_seen.set_value();
  int calls = 0;
  auto r = c_->stream("GET", "/events", {}, [&](std::string_view) { return ++calls < 1; });
  ASSERT_TRUE(r);
  EXPECT_EQ(calls, 1);
  auto e = c_->stream("GET", "/containers/x/json", {}, [&](std::string_view) {
    ADD_FAILURE() << "an error body is not streamed";
    return true;
  });
  ASSERT_TRUE(e) << e.error().str();
  EXPECT_EQ(e->status, 404);
  EXPECT_EQ(e->error_message(), "No such container: x");
}

TEST_F(RoundTrip, BigUploadIsStreamedWithProgress) {
  std::string path = ts_.dir() + "/upload.tar";
  std::string data(12 << 20, '\0');
  std::mt19937_64 rng(42);
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&data[i], &v, 8);
  }
  std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd);
  std::vector<uint64_t> progress;
  auto r = c_->upload("POST", "/images/load?quiet=1", fd.get(), "application/x-tar",
                      [&](uint64_t n) { progress.push_back(n); });
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = *r->json();
  EXPECT_EQ(j["bytes"], data.size());
  EXPECT_EQ(j["fnv"], fnv(kFnvInit, data));
  EXPECT_GT(j["reads"].get<int>(), 10) << "the handler read in pieces";
  EXPECT_EQ(j["ct"], "application/x-tar");
  ASSERT_GT(progress.size(), 2u);
  EXPECT_EQ(progress.back(), data.size());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
}

// A large answer (docker save, export) is read in large pieces, not in the
// few hundred bytes the header buffer has left.
TEST_F(RoundTrip, ALargeAnswerIsReadInLargePieces) {
  size_t pieces = 0, bytes = 0;
  auto r = c_->stream("GET", "/images/get", {}, [&](std::string_view piece) {
    ++pieces;
    bytes += piece.size();
    return true;
  });
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(bytes, size_t{4} << 20);
  EXPECT_LE(pieces, (size_t{4} << 20) / (16 << 10)) << "4 MiB read in " << pieces << " pieces";
}

TEST_F(RoundTrip, HijackBothDirectionsWithHalfClose) {
  auto h = c_->hijack("/containers/c1/attach?stream=1&stdin=1&stdout=1", "");
  ASSERT_TRUE(h) << h.error().str();
  EXPECT_EQ(c_->last_status(), 101);
  std::string sent = "line one\nline two\n";
  ASSERT_TRUE(berth::testing::write_all(h->fd.get(), sent));
  ASSERT_EQ(::shutdown(h->fd.get(), SHUT_WR), 0);  // the server reads EOF ...
  std::string back = h->buffered + berth::testing::read_to_eof(h->fd.get());  // ... and still writes
  EXPECT_EQ(back, "got[" + sent + "] for c1");
  // The client carries on with a new connection.
  auto r = c_->request("GET", "/_ping");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->body, "OK");
}

TEST_F(RoundTrip, HijackRefusedIsAnErrorWithTheDaemonsMessage) {
  auto h = c_->hijack("/containers/x/json");  // GET-only path: 405
  ASSERT_FALSE(h);
  EXPECT_EQ(c_->last_status(), 405);
  Router r;
  r.add("POST", "/exec/{id}/start", [](Request& req, ResponseWriter& w) -> Result<void> {
    (void)w.error(Error{Errc::Conflict, 0, "Container " + req.params.at(0) + " is not running"});
    return {};
  });
  TestServer ts(std::move(r));
  auto c = client_for(ts);
  auto e = c->hijack("/exec/e1/start", R"({"Detach":false})");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::Conflict);
  EXPECT_EQ(e.error().message, "Container e1 is not running");
  EXPECT_EQ(c->last_status(), 409);
}

TEST_F(RoundTrip, KeepAliveReusesOneConnection) {
  std::set<uint64_t> conns;
  for (int i = 0; i < 20; ++i) {
    auto r = c_->request("GET", "/echo");
    ASSERT_TRUE(r);
    conns.insert((*r->json())["conn"].get<uint64_t>());
  }
  EXPECT_EQ(conns.size(), 1u);
}

TEST_F(RoundTrip, ReconnectsWhenTheServerClosedTheConnection) {
  ASSERT_TRUE(c_->request("GET", "/_ping"));
  ts_.stop();  // closes the idle keep-alive connection; nobody listens any more
  auto r = c_->request("GET", "/_ping");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unavailable);
  EXPECT_NE(r.error().message.find(ts_.address()), std::string::npos) << r.error().message;
}

TEST(Concurrency, ManyConnectionsAreServedAtOnce) {
  constexpr int kClients = 8;
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  Router r;
  // Every client's first request waits until all have arrived: this only
  // completes if the server handles the connections concurrently.
  r.add("GET", "/barrier", [&](Request&, ResponseWriter& w) -> Result<void> {
    std::unique_lock lock(mu);
    ++arrived;
    cv.notify_all();
    bool all = cv.wait_for(lock, std::chrono::seconds(20), [&] { return arrived >= kClients; });
    (void)w.json(all ? 200 : 500, {{"arrived", arrived}});
    return {};
  });
  r.add("GET", "/n/{n}", [](Request& req, ResponseWriter& w) -> Result<void> { (void)w.send(200, "text/plain", req.params.at(0)); return {}; });
  TestServer ts(std::move(r));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto c = client_for(ts);
      auto b = c->request("GET", "/barrier");
      if (!b || b->status != 200) return;
      for (int i = 0; i < 50; ++i) {
        std::string n = std::to_string(t * 1000 + i);
        auto x = c->request("GET", "/n/" + n);
        if (!x || x->body != n) return;
      }
      ++ok;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kClients);
}

// The hot path of every `docker run`: report what a request costs.
TEST(Latency, PingRoundTrip) {
  Fixture fx;
  TestServer ts(fx.router());
  auto c = client_for(ts);
  ASSERT_TRUE(c->negotiate());
  constexpr int kKeepAlive = 2000, kFresh = 200;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kKeepAlive; ++i) ASSERT_TRUE(c->request("GET", "/_ping"));
  auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < kFresh; ++i) {  // what a CLI process pays: connect, HEAD /_ping, one request
    auto f = client_for(ts);
    ASSERT_TRUE(f->request("GET", "/_ping"));
  }
  auto t2 = std::chrono::steady_clock::now();
  double keep_us = std::chrono::duration<double, std::micro>(t1 - t0).count() / kKeepAlive;
  double fresh_us = std::chrono::duration<double, std::micro>(t2 - t1).count() / kFresh;
  std::printf("ping round trip: %.1f us on a kept connection; %.1f us for a new client (connect + HEAD /_ping + GET)\n",
              keep_us, fresh_us);
  RecordProperty("keepalive_ping_us", static_cast<int>(keep_us));
  RecordProperty("new_client_ping_us", static_cast<int>(fresh_us));
  EXPECT_LT(keep_us, 2000.0);
  EXPECT_LT(fresh_us, 10000.0);
}

}  // namespace
}  // namespace berth::api

namespace berth::api {
namespace {

TEST(Upload, EarlyAnswerFromTheDaemonIsReturned) {
  Router r;
  r.add("POST", "/build", [](Request&, ResponseWriter& w) -> Result<void> {
    (void)w.error(Error{Errc::InvalidArgument, 0, "dockerfile parse error line 1: unknown instruction: FRM"});
    return {};
  });
  TestServer ts(std::move(r));
  auto c = client_for(ts);
  std::string path = ts.dir() + "/context.tar";
  std::ofstream(path, std::ios::binary) << std::string(8 << 20, 'c');  // far more than the server drains
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  auto resp = c->upload("POST", "/build", fd.get(), "application/x-tar");
  ASSERT_TRUE(resp) << resp.error().str();
  EXPECT_EQ(resp->status, 400);
  EXPECT_EQ(resp->error_message(), "dockerfile parse error line 1: unknown instruction: FRM");
  auto again = c->request("POST", "/build", "");  // a fresh connection afterwards
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ(again->status, 400);
}

}  // namespace
}  // namespace berth::api
