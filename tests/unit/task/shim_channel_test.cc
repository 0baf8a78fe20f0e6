// The daemon's side of a shim against a fake shim on real sockets: output and
// the exit reach the listener once, requests get their replies, and the ends
// of connections, disconnect() and a listener that drops the task from
// on_exit behave.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "base/file.h"
#include "shimproto/protocol.h"
#include "shimproto/request.h"
#include "sys/proc.h"
#include "task/shim_channel.h"

using namespace berth;
using namespace berth::task;
using namespace berth::shimproto;
using berth::task::detail::ShimChannel;
namespace fs = std::filesystem;

namespace {

constexpr auto kGuard = std::chrono::seconds(20);  // a broken test fails instead of hanging

class Recorder : public ProcessListener {
 public:
  void on_output(Stream stream, std::string_view bytes) override {
    std::lock_guard lk(mu_);
    (stream == Stream::Stderr ? err_ : out_).append(bytes);
    cv_.notify_all();
  }
  void on_exit(const task::ExitStatus& st) override {
    std::function<void()> hook;
    {
      std::lock_guard lk(mu_);
      exits_.push_back(st);
      hook = std::move(at_exit_);
    }
    if (hook) hook();
    std::lock_guard lk(mu_);
    exit_returned_ = true;
    cv_.notify_all();
  }
  bool wait_exit() {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, kGuard, [&] { return exit_returned_; });
  }
  bool wait_output(const std::string& want) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, kGuard, [&] { return out_ == want; });
  }
  std::vector<task::ExitStatus> exits() {
    std::lock_guard lk(mu_);
    return exits_;
  }
  std::string out() {
    std::lock_guard lk(mu_);
    return out_;
  }
  std::string err() {
    std::lock_guard lk(mu_);
    return err_;
  }
  void set_at_exit(std::function<void()> f) { at_exit_ = std::move(f); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string out_, err_;
  std::vector<task::ExitStatus> exits_;
  bool exit_returned_ = false;
  std::function<void()> at_exit_;
};

// A state dir with shim.sock (listening) and shim.pid naming this process,
// so shim_alive() and connect_shim() see a live shim.
class FakeShim : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-task-fake-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s/shim.sock", dir_.c_str());
    ASSERT_EQ(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listen_.get(), 8), 0);
    set_alive(true);
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    shim_end_.reset(sv[0]);
    daemon_end_.reset(sv[1]);
  }
  void TearDown() override {
    if (server_.joinable()) server_.join();
    fs::remove_all(dir_);
  }

  void set_alive(bool alive) {
    if (!alive) {
      fs::remove(dir_ + "/shim.pid");
      return;
    }
    auto start = sys::process_start_time(::getpid()).value();
    std::ofstream(dir_ + "/shim.pid") << ::getpid() << " " << start << "\n";
  }

  std::shared_ptr<ShimChannel> start(std::shared_ptr<Recorder> listener) {
    return ShimChannel::start({"container c1", dir_, 0, 4242, std::move(daemon_end_), std::move(listener), false});
  }

  UniqueFd accept_one() {
    pollfd p{listen_.get(), POLLIN, 0};
    if (::poll(&p, 1, 20000) != 1) return UniqueFd();
    return UniqueFd(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  }
  static std::optional<std::pair<Frame, std::string>> next(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20000) != 1) return std::nullopt;
    auto f = read_frame(fd);
    if (!f) return std::nullopt;
    return *f;
  }
  static void send(int fd, Frame type, std::string_view payload) { ASSERT_TRUE(write_frame(fd, type, payload)); }
  static std::string exited_json(int code) { return shimproto::ExitStatus{code, false, "2026-01-02T03:04:05.6Z"}.to_json().dump(); }

  // Serves one control connection: answer(request) per request, until `count` were answered.
  void serve_control(int count, std::function<Result<nlohmann::json>(const Request&)> answer) {
    server_ = std::thread([this, count, answer] {
      auto c = accept_one();
      if (!c) return;
      auto first = next(c.get());
      if (!first || first->first != Frame::Control) return;
      for (int i = 0; i < count; ++i) {
        auto f = next(c.get());
        if (!f || f->first != Frame::Request) return;
        auto r = Request::decode(f->second).value();
        // Output that a connection can get before the shim knew it was a control one.
        (void)write_frame(c.get(), Frame::Stdout, "not for the caller");
        (void)write_frame(c.get(), Frame::Reply, Reply{r.id, answer(r)}.encode());
      }
      // Hold the connection until the client closes it.
      char b;
      while (::read(c.get(), &b, 1) > 0) {
      }
    });
  }

  std::string dir_;
  UniqueFd listen_, shim_end_, daemon_end_;
  std::thread server_;
};

TEST_F(FakeShim, OutputThenExitOnceToTheListener) {
  auto rec = std::make_shared<Recorder>();
  auto ch = start(rec);
  EXPECT_EQ(ch->pid(), 4242);
  send(shim_end_.get(), Frame::Stdout, "hello ");
  send(shim_end_.get(), Frame::Stderr, "oops");
  send(shim_end_.get(), Frame::Stdout, "world");
  ASSERT_TRUE(rec->wait_output("hello world"));
  send(shim_end_.get(), Frame::Exited, exited_json(3));
  send(shim_end_.get(), Frame::Stdout, "after the end");  // not delivered: Exited is the last frame
  ASSERT_TRUE(rec->wait_exit());
  EXPECT_EQ(rec->err(), "oops");
  EXPECT_EQ(rec->out(), "hello world");
  ASSERT_EQ(rec->exits().size(), 1u);
  EXPECT_EQ(rec->exits()[0].exit_code, 3);
  EXPECT_EQ(rec->exits()[0].finished_at, "2026-01-02T03:04:05.6Z");
  EXPECT_TRUE(ch->exited());
  // Once exited, nothing goes to the shim.
  auto r = ch->call("kill", {{"signal", 9}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Conflict);
  EXPECT_EQ(ch->send(Frame::Stdin, "x").error().code, Errc::Conflict);
}

TEST_F(FakeShim, RequestsGetTheirRepliesOverAControlConnection) {
  auto rec = std::make_shared<Recorder>();
  auto ch = start(rec);
  std::vector<std::string> ops;
  serve_control(3, [&](const Request& r) -> Result<nlohmann::json> {
    ops.push_back(r.op);
    if (r.op == "pids") return nlohmann::json::array({1, 2});
    if (r.op == "pause") return fail(Errc::Conflict, "cannot pause container c1: it is paused");
    return nlohmann::json{{"signal", r.args["signal"]}};
  });
  auto pids = ch->call("pids");
  ASSERT_TRUE(pids) << pids.error().str();
  EXPECT_EQ(*pids, nlohmann::json::array({1, 2}));
  auto paused = ch->call("pause");
  ASSERT_FALSE(paused);
  EXPECT_EQ(paused.error().code, Errc::Conflict);
  EXPECT_EQ(paused.error().message, "cannot pause container c1: it is paused");
  auto killed = ch->call("kill", {{"signal", 15}});
  ASSERT_TRUE(killed);
  EXPECT_EQ((*killed)["signal"], 15);
  EXPECT_EQ(ops, (std::vector<std::string>{"pids", "pause", "kill"})) << "one connection, in order";
  EXPECT_TRUE(rec->out().empty()) << "output on the control connection is not the process's output";
  ch->disconnect();
  ch.reset();  // closes the control connection: the server ends
}

TEST_F(FakeShim, AControlConnectionThatEndsFailsTheCall) {
  auto rec = std::make_shared<Recorder>();
  auto ch = start(rec);
  server_ = std::thread([this] {
    auto c = accept_one();
    (void)next(c.get());  // Control
    (void)next(c.get());  // the request, never answered
  });
  auto r = ch->call("stats");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unavailable) << r.error().str();
  server_.join();
  // The process ended meanwhile (exit.json recorded): the same end is a Conflict.
  ASSERT_TRUE(write_file_atomic(dir_ + "/exit.json", exited_json(0), 0644, false));
  server_ = std::thread([this] {
    auto c = accept_one();
    (void)next(c.get());
    (void)next(c.get());
  });
  r = ch->call("stats");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Conflict) << r.error().str();
  ch->disconnect();
}

TEST_F(FakeShim, NoShimToConnectTo) {
  auto rec = std::make_shared<Recorder>();
  auto ch = start(rec);
  listen_.reset();
  fs::remove(dir_ + "/shim.sock");
  auto r = ch->call("pids");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unavailable);
  ch->disconnect();
}

TEST_F(FakeShim, DisconnectStopsFollowingWithoutOnExit) {
  auto rec = std::make_shared<Recorder>();
  auto ch = start(rec);
  send(shim_end_.get(), Frame::Stdout, "before");
  ASSERT_TRUE(rec->wait_output("before"));
  ch->disconnect();
  // The shim sees the daemon leave; the process carries on.
  char b;
  pollfd p{shim_end_.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 20000), 1);
  EXPECT_EQ(::read(shim_end_.get(), &b, 1), 0);
  EXPECT_FALSE(ch->exited());
  EXPECT_TRUE(rec->exits().empty());
  ASSERT_FALSE(ch->send(Frame::Stdin, "x"));
}

TEST_F(FakeShim, AShimThatDiesLeavesItsRecordedExit) {
  auto rec = std::make_shared<Recorder>();
  auto ch = start(rec);
  set_alive(false);
  ASSERT_TRUE(write_file_atomic(dir_ + "/exit.json", exited_json(42), 0644, false));
  shim_end_.reset();  // the shim is gone without an Exited frame on this connection
  ASSERT_TRUE(rec->wait_exit());
  ASSERT_EQ(rec->exits().size(), 1u);
  EXPECT_EQ(rec->exits()[0].exit_code, 42);
}

TEST_F(FakeShim, AShimThatDiesWithoutARecordIs255) {
  auto rec = std::make_shared<Recorder>();
  auto ch = start(rec);
  set_alive(false);
  shim_end_.reset();
  ASSERT_TRUE(rec->wait_exit());
  ASSERT_EQ(rec->exits().size(), 1u);
  EXPECT_EQ(rec->exits()[0].exit_code, 255);
}

TEST_F(FakeShim, AShimThatDropsTheConnectionIsFollowedAgain) {
  auto rec = std::make_shared<Recorder>();
  auto ch = start(rec);
  send(shim_end_.get(), Frame::Stdout, "one ");
  ASSERT_TRUE(rec->wait_output("one "));
  shim_end_.reset();  // dropped (a shim does that to a connection that stops reading), still alive
  auto c = accept_one();
  ASSERT_TRUE(c);
  auto hello = next(c.get());
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->first, Frame::Hello);
  send(c.get(), Frame::State, ShimState{4343, std::nullopt}.to_json().dump());
  send(c.get(), Frame::Stdout, "two");
  ASSERT_TRUE(rec->wait_output("one two"));
  EXPECT_EQ(ch->pid(), 4343);
  send(c.get(), Frame::Exited, exited_json(137));
  ASSERT_TRUE(rec->wait_exit());
  EXPECT_EQ(rec->exits()[0].exit_code, 137);
}

TEST_F(FakeShim, AStateThatSaysExitedEndsIt) {
  auto rec = std::make_shared<Recorder>();
  auto ch = start(rec);
  shimproto::ExitStatus st{7, true, "2026-01-01T00:00:00Z"};
  send(shim_end_.get(), Frame::State, ShimState{4242, st}.to_json().dump());
  ASSERT_TRUE(rec->wait_exit());
  EXPECT_EQ(rec->exits()[0].exit_code, 7);
  EXPECT_TRUE(rec->exits()[0].oom_killed);
}

TEST_F(FakeShim, TheListenerMayDropTheChannelFromOnExit) {
  auto rec = std::make_shared<Recorder>();
  auto ch = start(rec);
  auto holder = std::make_shared<std::shared_ptr<ShimChannel>>(std::move(ch));
  rec->set_at_exit([holder] {
    (*holder)->disconnect();  // too late to stop anything: a no-op
    holder->reset();
  });
  send(shim_end_.get(), Frame::Exited, exited_json(0));
  ASSERT_TRUE(rec->wait_exit());
  EXPECT_EQ(rec->exits().size(), 1u);
  EXPECT_TRUE(holder->get() == nullptr);
  // The follower holds the last reference until it returns: nothing of it was freed under it.
}

TEST_F(FakeShim, LargeStdinIsSplitIntoFrames) {
  auto rec = std::make_shared<Recorder>();
  auto ch = start(rec);
  std::string big(kMaxPayload + 10, 'x');
  std::thread writer([&] { EXPECT_TRUE(ch->send(Frame::Stdin, big)); });
  auto a = next(shim_end_.get());
  auto b = next(shim_end_.get());
  writer.join();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->first, Frame::Stdin);
  EXPECT_EQ(a->second.size(), kMaxPayload);
  EXPECT_EQ(b->second.size(), 10u);
  ch->disconnect();
}

}  // namespace
