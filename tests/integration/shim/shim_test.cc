// berth-shim on the real kernel (root): busybox containers started through
// task::launch_shim() as berthd does, their output, exit codes, stdin,
// terminal, exec, and a daemon that goes away. (The Task interface over it:
// tests/integration/task.)
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "logs/log_reader.h"
#include "shimproto/request.h"
#include "task/launcher.h"
#include "task/shim_standby.h"
#include "support/bundle.h"

using namespace berth;
using namespace berth::shimproto;
using namespace berth::task;
using berth::logs::LogEntry;
using namespace berth::testing;
namespace fs = std::filesystem;

namespace {

// $BERTH_SHIM, else the build's berth-shim next to berth-runtime (CTest
// passes only the first variable of a list to gtest-discovered tests here).
std::string shim_binary() {
  if (const char* p = std::getenv("BERTH_SHIM")) return p;
  fs::path sibling = fs::path(runtime_path()).parent_path().parent_path() / "berth-shim" / "berth-shim";
  if (fs::exists(sibling)) return sibling;
  throw std::runtime_error("BERTH_SHIM is not set (run through ctest)");
}

struct Collected {
  std::string out, err;
  std::optional<ExitStatus> exited;
  bool eof = false;
};

// Reads frames until `until` holds, Exited, EOF, or the deadline (a test
// must not hang), `read_size` bytes at most per read.
Collected collect(int fd, const std::function<bool(const Collected&)>& until = {}, int timeout_ms = 20000,
                  std::optional<ShimState>* state = nullptr, size_t read_size = 65536) {
  Collected c;
  FrameDecoder d;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!c.exited && !(until && until(c))) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, read_size));
    if (n <= 0) {
      c.eof = true;
      break;
    }
    d.feed(std::string_view(buf, static_cast<size_t>(n)));
    while (true) {
      auto f = d.next();
      if (!f || !*f) break;
      auto& [type, payload] = **f;
      if (type == Frame::Stdout) c.out += payload;
      if (type == Frame::Stderr) c.err += payload;
      if (type == Frame::Exited) c.exited = ExitStatus::from_json(nlohmann::json::parse(payload)).value();
      if (type == Frame::State && state) *state = ShimState::from_json(nlohmann::json::parse(payload)).value();
    }
  }
  return c;
}

int wait_shim(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The runtime's default cgroupsPath is /berth/<id>: the runtime removes a
// container's cgroup, but a parent made while another container was inside
// it stays. The suite removes the "berth" parents it caused (empty ones only,
// and only where none existed before it ran).
std::vector<std::string> berth_parent_dirs() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    auto p = e.path() / "berth";
    if (fs::is_directory(p, ec)) out.push_back(p.string());
  }
  return out;
}

class Shim : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { parents_before_ = berth_parent_dirs(); }
  static void TearDownTestSuite() {
    for (const auto& d : berth_parent_dirs())
      if (std::find(parents_before_.begin(), parents_before_.end(), d) == parents_before_.end()) ::rmdir(d.c_str());
  }
  static inline std::vector<std::string> parents_before_;

  void TearDown() override {
    for (const auto& id : ids_) b_.runtime({"delete", "--force", id});
    for (pid_t pid : shims_) {
      // A test that failed half-way: its shim goes with the container above.
      int status;
      ::waitpid(pid, &status, 0);
    }
    for (const auto& d : dirs_) fs::remove_all(d);
  }

  std::string new_state_dir() {
    char tmpl[] = "/tmp/berth-shim-it-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    dirs_.push_back(tmpl);
    return tmpl;
  }

  LaunchOptions container(const std::vector<std::string>& args, const std::string& id = "") {
    b_.set_args(args);
    b_.save();
    LaunchOptions o;
    o.shim_binary = shim_binary();
    o.id = id.empty() ? b_.unique_id("shim") : id;
    o.runtime_root = b_.state_root();
    o.state_dir = new_state_dir();
    o.bundle = b_.dir();
    o.log_driver = "json-file";
    o.log_path = o.state_dir + "/container-json.log";
    ids_.push_back(o.id);
    return o;
  }

  Result<ShimHandle> launch(const LaunchOptions& o, ShimStandby* standby = nullptr) {
    auto h = launch_shim(o, standby);
    if (h) shims_.push_back(h->shim_pid);
    return h;
  }

  // The shim has exited and was reaped: no longer waited for in TearDown.
  int reap(const ShimHandle& h) {
    std::erase(shims_, h.shim_pid);
    return wait_shim(h.shim_pid);
  }

  bool container_known(const std::string& id) { return b_.runtime({"state", id}).status == 0; }

  std::vector<LogEntry> log_entries(const std::string& path) {
    std::vector<LogEntry> out;
    auto r = logs::read_json_log(path, {}, [&](const LogEntry& e) {
      out.push_back(e);
      return true;
    });
    EXPECT_TRUE(r) << r.error().str();
    return out;
  }

  Bundle b_;
  std::vector<std::string> ids_, dirs_;
  std::vector<pid_t> shims_;
};

TEST_F(Shim, OutputGoesToFramesAndLogThenExited) {
  auto o = container({"sh", "-c", "echo to-stdout; echo to-stderr >&2"});
  auto t0 = std::chrono::steady_clock::now();
  auto h = launch(o);
  auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(h) << h.error().str();
  std::printf("[ launch ] launch() -> Started: %.2f ms\n",
              std::chrono::duration<double, std::milli>(t1 - t0).count());
  EXPECT_GT(h->pid, 0);
  EXPECT_EQ(slurp(o.state_dir + "/pid"), std::to_string(h->pid));

  auto c = collect(h->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.exited->exit_code, 0);
  EXPECT_FALSE(c.exited->oom_killed);
  EXPECT_EQ(c.out, "to-stdout\n");
  EXPECT_EQ(c.err, "to-stderr\n");
  EXPECT_EQ(reap(*h), 0);

  auto logs = log_entries(o.log_path);
  ASSERT_EQ(logs.size(), 2u);
  std::map<std::string, std::string> by_stream;
  for (const auto& e : logs) by_stream[e.stream] = e.log;
  EXPECT_EQ(by_stream["stdout"], "to-stdout\n");
  EXPECT_EQ(by_stream["stderr"], "to-stderr\n");

  auto ex = read_exit_file(o.state_dir);
  ASSERT_TRUE(ex && *ex);
  EXPECT_EQ((*ex)->exit_code, 0);
  EXPECT_EQ((*ex)->finished_at, c.exited->finished_at);
  EXPECT_FALSE(shim_alive(o.state_dir));
  EXPECT_FALSE(fs::exists(o.state_dir + "/shim.sock"));
  auto conn = connect_shim(o.state_dir);
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().code, Errc::Unavailable);
  EXPECT_FALSE(container_known(o.id)) << "the shim deletes the container it ran";
}

constexpr auto kReady = std::chrono::seconds(20);

int policy_of(pid_t pid) { return ::sched_getscheduler(pid); }

// Size and Rss (kB) of pid's executable mapping of `binary`, from /proc/PID/smaps.
std::pair<long, long> text_mapping_kb(pid_t pid, const std::string& binary) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/smaps");
  std::string line;
  bool in_text = false;
  long size = -1, rss = -1;
  while (std::getline(f, line)) {
    // A mapping's header ("start-end perms offset dev inode path") starts each block.
    size_t dash = line.find('-');
    if (dash != std::string::npos && dash > 0 && line.find_first_not_of("0123456789abcdef") == dash) {
      in_text = line.find(" r-xp ") != std::string::npos && line.size() >= binary.size() &&
                line.compare(line.size() - binary.size(), binary.size(), binary) == 0;
      continue;
    }
    if (!in_text) continue;
    if (line.rfind("Size:", 0) == 0) size = std::stol(line.substr(5));
    if (line.rfind("Rss:", 0) == 0) rss = std::stol(line.substr(4));
  }
  return {size, rss};
}

// Until pid (our child) has ended, without reaping it.
bool wait_ended(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) == 0;
}

// berthd keeps one shim started ahead of need (task/shim_standby.h): the
// container runs under that process as under one spawned for it, scheduled
// as the daemon is, and the next standby waits at idle priority.
TEST_F(Shim, StandbyShimRunsTheContainer) {
  ShimStandby standby(shim_binary());
  ASSERT_TRUE(standby.wait_ready(kReady));
  pid_t idle = standby.idle_pid().value();
  EXPECT_EQ(policy_of(idle), SCHED_IDLE);
  auto o = container({"sh", "-c", "awk '/^policy/ {print \"policy=\" $3}' /proc/self/sched; echo to-stdout; echo to-stderr >&2; exit 3"});
  auto h = launch(o, &standby);
  ASSERT_TRUE(h) << h.error().str();
  EXPECT_EQ(h->shim_pid, idle) << "the idle shim was not used";
  EXPECT_EQ(policy_of(h->shim_pid), SCHED_OTHER);
  // ps shows it as a shim started for this container would be.
  std::string cmdline = slurp("/proc/" + std::to_string(h->shim_pid) + "/cmdline");
  std::string expected = shim_binary() + std::string("\0--id\0", 6) + o.id + std::string("\0--runtime-root\0", 16);
  EXPECT_EQ(cmdline.rfind(expected, 0), 0u) << cmdline;
  EXPECT_NE(cmdline.find(o.state_dir), std::string::npos) << cmdline;
  // While it waited it mapped its code in (shim/standby.h: prefault).
  auto [text_kb, text_rss_kb] = text_mapping_kb(h->shim_pid, shim_binary());
  EXPECT_GT(text_kb, 0);
  EXPECT_EQ(text_rss_kb, text_kb) << "the standby's code was not mapped in before its work came";
  auto c = collect(h->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.exited->exit_code, 3);
  EXPECT_EQ(c.out, "policy=0\nto-stdout\n") << "the container runs SCHED_OTHER (0), not SCHED_IDLE (5)";
  EXPECT_EQ(c.err, "to-stderr\n");
  EXPECT_EQ(reap(*h), 0);
  EXPECT_EQ(read_exit_file(o.state_dir).value()->exit_code, 3);
  EXPECT_TRUE(fs::exists(o.state_dir + "/shim.log")) << "the assigned log is its stderr";
  EXPECT_FALSE(container_known(o.id));

  ASSERT_TRUE(standby.wait_ready(kReady)) << "the next one is started";
  pid_t next = standby.idle_pid().value();
  EXPECT_NE(next, idle);
  std::string idle_cmdline = slurp("/proc/" + std::to_string(next) + "/cmdline");
  EXPECT_EQ(idle_cmdline.rfind(shim_binary() + std::string("\0--standby\0", 11), 0), 0u) << idle_cmdline;
}

TEST_F(Shim, StandbyExecIntoARunningContainer) {
  ShimStandby standby(shim_binary());
  auto o = container({"sleep", "1000"});
  auto h = launch(o, &standby);
  ASSERT_TRUE(h) << h.error().str();
  ASSERT_TRUE(standby.wait_ready(kReady));
  pid_t idle = standby.idle_pid().value();
  LaunchOptions e;
  e.shim_binary = shim_binary();
  e.id = o.id;
  e.runtime_root = o.runtime_root;
  e.state_dir = new_state_dir();
  nlohmann::json proc = b_.config()["process"];
  proc["args"] = {"sh", "-c", "echo exec-out; exit 5"};
  e.exec_process_json = proc.dump();
  auto x = launch(e, &standby);
  ASSERT_TRUE(x) << x.error().str();
  EXPECT_EQ(x->shim_pid, idle);
  auto c = collect(x->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.exited->exit_code, 5);
  EXPECT_EQ(c.out, "exec-out\n");
  EXPECT_EQ(reap(*x), 0);
  ::kill(h->pid, SIGKILL);
  ASSERT_TRUE(collect(h->conn.get()).exited);
  EXPECT_EQ(reap(*h), 0);
}

// Killed while idle: launch notices, reaps it and spawns a shim as usual.
TEST_F(Shim, StandbyThatDiedIsReplacedByASpawnedShim) {
  ShimStandby standby(shim_binary());
  ASSERT_TRUE(standby.wait_ready(kReady));
  pid_t idle = standby.idle_pid().value();
  ASSERT_EQ(::kill(idle, SIGKILL), 0);
  ASSERT_TRUE(wait_ended(idle));
  auto o = container({"echo", "fresh"});
  auto h = launch(o, &standby);
  ASSERT_TRUE(h) << h.error().str();
  EXPECT_NE(h->shim_pid, idle);
  auto c = collect(h->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.out, "fresh\n");
  EXPECT_EQ(reap(*h), 0);
  errno = 0;
  EXPECT_EQ(::waitpid(idle, nullptr, WNOHANG), -1) << "the dead standby was reaped";
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(Shim, StandbyEndsWithItsDaemon) {
  pid_t idle = 0;
  UniqueFd pidfd;
  {
    ShimStandby standby(shim_binary());
    ASSERT_TRUE(standby.wait_ready(kReady));
    idle = standby.idle_pid().value();
    pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, idle, 0)));
    ASSERT_TRUE(pidfd);
  }
  pollfd p{pidfd.get(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 1) << "the idle shim is still running";
  errno = 0;
  EXPECT_EQ(::waitpid(idle, nullptr, WNOHANG), -1) << "left unreaped";
}

TEST_F(Shim, StandbyRefusesAMalformedLaunchFrame) {
  ShimStandby standby(shim_binary());
  ASSERT_TRUE(standby.wait_ready(kReady));
  auto idle = standby.take();
  ASSERT_TRUE(idle);
  shims_.push_back(idle->pid);
  ASSERT_TRUE(write_frame(idle->conn.get(), Frame::Launch, R"({"args": "not a list", "log": "/dev/null"})"));
  auto f = read_frame(idle->conn.get());
  ASSERT_TRUE(f) << f.error().str();
  EXPECT_EQ(f->first, Frame::Failed);
  EXPECT_NE(f->second.find("Launch frame"), std::string::npos) << f->second;
  EXPECT_NE(f->second.find("InvalidArgument"), std::string::npos) << f->second;
  std::erase(shims_, idle->pid);
  EXPECT_EQ(wait_shim(idle->pid), 2);
}

TEST_F(Shim, ExitCodeIsRecorded) {
  auto o = container({"sh", "-c", "exit 3"});
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  auto c = collect(h->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.exited->exit_code, 3);
  EXPECT_EQ(reap(*h), 0);
  EXPECT_EQ(read_exit_file(o.state_dir).value()->exit_code, 3);
}

TEST_F(Shim, KilledBySignalIs128PlusN) {
  auto o = container({"sh", "-c", "echo ready; exec sleep 1000"});
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  auto ready = collect(h->conn.get(), [](const Collected& c) { return c.out == "ready\n"; });
  ASSERT_EQ(ready.out, "ready\n");
  // From outside: the container's init ignores what it has no handler for, but SIGKILL.
  ASSERT_EQ(::kill(h->pid, SIGKILL), 0);
  auto c = collect(h->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.exited->exit_code, 137);
  EXPECT_EQ(reap(*h), 0);
}

TEST_F(Shim, StdinIsForwardedAndClosed) {
  auto o = container({"cat"});
  o.open_stdin = true;
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  ASSERT_TRUE(write_frame(h->conn.get(), Frame::Stdin, "hello "));
  ASSERT_TRUE(write_frame(h->conn.get(), Frame::Stdin, "shim\n"));
  ASSERT_TRUE(write_frame(h->conn.get(), Frame::CloseStdin, ""));
  auto c = collect(h->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.out, "hello shim\n");
  EXPECT_EQ(c.exited->exit_code, 0);
  EXPECT_EQ(reap(*h), 0);
}

TEST_F(Shim, WithoutOpenStdinTheProcessReadsEof) {
  auto o = container({"sh", "-c", "cat; echo cat-done"});
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  auto c = collect(h->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.out, "cat-done\n");
  EXPECT_EQ(reap(*h), 0);
}

TEST_F(Shim, TerminalWithResize) {
  b_.config()["process"]["terminal"] = true;
  auto o = container({"sh", "-c", "read line; stty size; echo \"got $line\""});
  o.tty = true;
  o.open_stdin = true;
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  ASSERT_TRUE(write_frame(h->conn.get(), Frame::Resize, R"({"h":33,"w":111})"));
  ASSERT_TRUE(write_frame(h->conn.get(), Frame::Stdin, "go\n"));
  auto c = collect(h->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.exited->exit_code, 0);
  EXPECT_NE(c.out.find("33 111\r\n"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("got go\r\n"), std::string::npos) << c.out;
  EXPECT_TRUE(c.err.empty()) << "a terminal has one stream";
  EXPECT_EQ(reap(*h), 0);
  // The log holds the terminal's output as stdout.
  std::string logged;
  for (const auto& e : log_entries(o.log_path)) {
    EXPECT_EQ(e.stream, "stdout");
    logged += e.log;
  }
  EXPECT_NE(logged.find("33 111"), std::string::npos);
}

TEST_F(Shim, TerminalCloseStdinSendsEof) {
  b_.config()["process"]["terminal"] = true;
  auto o = container({"sh", "-c", "cat >/dev/null; echo after-eof"});
  o.tty = true;
  o.open_stdin = true;
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  ASSERT_TRUE(write_frame(h->conn.get(), Frame::Stdin, "some input\n"));
  ASSERT_TRUE(write_frame(h->conn.get(), Frame::CloseStdin, ""));
  auto c = collect(h->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_NE(c.out.find("after-eof"), std::string::npos) << c.out;
  EXPECT_EQ(reap(*h), 0);
}

TEST_F(Shim, ExecutableNotFoundFailsWithNotFound) {
  auto o = container({"no-such-program"});
  auto h = launch(o);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::NotFound) << h.error().message;
  EXPECT_NE(h.error().message.find("executable file not found"), std::string::npos) << h.error().message;
  EXPECT_FALSE(container_known(o.id)) << "a failed start leaves no container";
  EXPECT_FALSE(shim_alive(o.state_dir));
  EXPECT_FALSE(fs::exists(o.state_dir + "/exit.json"));
}

TEST_F(Shim, ShimThatDiesBeforeReportingIsAnInternalError) {
  auto o = container({"true"});
  o.shim_binary = "/bin/false";
  auto h = launch(o);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::Internal);
  EXPECT_NE(h.error().message.find("exited with status 1"), std::string::npos) << h.error().message;
  o.shim_binary = "/no/such/berth-shim";
  h = launch(o);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::Internal) << "a missing shim is not a missing container executable";
}

TEST_F(Shim, BadBundleFailsAndCleansUp) {
  auto o = container({"true"});
  o.bundle = "/no/such/bundle";
  auto h = launch(o);
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().message.find("/no/such/bundle"), std::string::npos) << h.error().message;
  EXPECT_FALSE(container_known(o.id));
  EXPECT_FALSE(fs::exists(o.state_dir + "/shim.sock"));
}

TEST_F(Shim, NotExecutableFailsWithPermissionDenied) {
  auto o = container({"/etc/passwd"});
  auto h = launch(o);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::PermissionDenied) << h.error().message;
  EXPECT_FALSE(container_known(o.id));
}

TEST_F(Shim, ExecIntoARunningContainer) {
  auto o = container({"sleep", "1000"});
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();

  nlohmann::json proc = b_.config()["process"];
  proc["args"] = {"sh", "-c", "echo exec-out; echo exec-err >&2; exit 5"};
  LaunchOptions e;
  e.shim_binary = shim_binary();
  e.id = o.id;
  e.runtime_root = o.runtime_root;
  e.state_dir = new_state_dir();
  e.exec_process_json = proc.dump();
  auto t0 = std::chrono::steady_clock::now();
  auto eh = launch(e);
  ASSERT_TRUE(eh) << eh.error().str();
  std::printf("[ launch ] exec launch() -> Started: %.2f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  EXPECT_NE(eh->pid, h->pid);
  auto ec = collect(eh->conn.get());
  ASSERT_TRUE(ec.exited);
  EXPECT_EQ(ec.exited->exit_code, 5);
  EXPECT_EQ(ec.out, "exec-out\n");
  EXPECT_EQ(ec.err, "exec-err\n");
  EXPECT_EQ(reap(*eh), 0);
  EXPECT_EQ(read_exit_file(e.state_dir).value()->exit_code, 5);
  EXPECT_TRUE(container_known(o.id)) << "an exec's end leaves the container running";

  // An exec that cannot start reports why.
  proc["args"] = {"no-such-program"};
  e.state_dir = new_state_dir();
  e.exec_process_json = proc.dump();
  auto bad = launch(e);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::NotFound) << bad.error().message;

  ASSERT_EQ(b_.runtime({"kill", o.id, "KILL"}).status, 0);
  auto c = collect(h->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.exited->exit_code, 137);
  EXPECT_EQ(reap(*h), 0);
}

TEST_F(Shim, ExecWithTerminal) {
  auto o = container({"sleep", "1000"});
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  nlohmann::json proc = b_.config()["process"];
  proc["terminal"] = true;
  proc["args"] = {"sh", "-c", "tty; stty size"};
  proc["consoleSize"] = {{"height", 12}, {"width", 34}};
  LaunchOptions e;
  e.shim_binary = shim_binary();
  e.id = o.id;
  e.runtime_root = o.runtime_root;
  e.state_dir = new_state_dir();
  e.exec_process_json = proc.dump();
  e.tty = true;
  auto eh = launch(e);
  ASSERT_TRUE(eh) << eh.error().str();
  auto ec = collect(eh->conn.get());
  ASSERT_TRUE(ec.exited);
  EXPECT_EQ(ec.exited->exit_code, 0);
  EXPECT_NE(ec.out.find("/dev/pts/"), std::string::npos) << ec.out;
  EXPECT_NE(ec.out.find("12 34"), std::string::npos) << ec.out;
  EXPECT_EQ(reap(*eh), 0);
  ASSERT_EQ(b_.runtime({"kill", o.id, "KILL"}).status, 0);
  EXPECT_TRUE(collect(h->conn.get()).exited);
  EXPECT_EQ(reap(*h), 0);
}

// The daemon closes its connection (or dies): the container carries on, a
// new connection gets the state and, later, the exit.
TEST_F(Shim, SurvivesTheDaemonClosingItsConnection) {
  auto o = container({"sh", "-c", "read x; echo \"read $x\"; exit 7"});
  o.open_stdin = true;
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  h->conn.reset();
  EXPECT_TRUE(shim_alive(o.state_dir));

  auto conn = connect_shim(o.state_dir);
  ASSERT_TRUE(conn) << conn.error().str();
  ASSERT_TRUE(write_frame(conn->get(), Frame::Hello, ""));
  auto f = read_frame(conn->get());
  ASSERT_TRUE(f) << f.error().str();
  ASSERT_EQ(f->first, Frame::State);
  auto st = ShimState::from_json(nlohmann::json::parse(f->second));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->pid, h->pid);
  EXPECT_FALSE(st->exited);
  EXPECT_EQ(::kill(h->pid, 0), 0) << "the container still runs";

  ASSERT_TRUE(write_frame(conn->get(), Frame::Stdin, "again\n"));
  auto c = collect(conn->get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.exited->exit_code, 7);
  EXPECT_EQ(c.out, "read again\n");
  EXPECT_EQ(reap(*h), 0);
  EXPECT_FALSE(shim_alive(o.state_dir));
  EXPECT_EQ(read_exit_file(o.state_dir).value()->exit_code, 7);
}

// Requests on a connection that said Control: replies only, no output, and
// Conflict once the process has exited.
TEST_F(Shim, ControlConnectionGetsRepliesOnly) {
  auto o = container({"sh", "-c", "echo ready; read x; echo \"out $x\"; exit 2"});
  o.open_stdin = true;
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  auto ready = collect(h->conn.get(), [](const Collected& c) { return c.out == "ready\n"; });
  ASSERT_EQ(ready.out, "ready\n");
  auto ctl = connect_shim(o.state_dir);
  ASSERT_TRUE(ctl) << ctl.error().str();
  ASSERT_TRUE(write_frame(ctl->get(), Frame::Control, ""));
  ASSERT_TRUE(write_frame(ctl->get(), Frame::Request, R"({"id":1,"op":"pids"})"));
  auto f = read_frame(ctl->get());
  ASSERT_TRUE(f) << f.error().str();
  ASSERT_EQ(f->first, Frame::Reply);
  auto reply = Reply::decode(f->second).value();
  EXPECT_EQ(reply.id, 1u);
  ASSERT_TRUE(reply.outcome) << reply.outcome.error().str();
  EXPECT_EQ(*reply.outcome, nlohmann::json::array({h->pid}));
  // Unknown ops and bad arguments are refused with their codes.
  ASSERT_TRUE(write_frame(ctl->get(), Frame::Request, R"({"id":2,"op":"reboot"})"));
  ASSERT_TRUE(write_frame(ctl->get(), Frame::Request, R"({"id":3,"op":"kill","signal":"TERM"})"));
  f = read_frame(ctl->get());
  ASSERT_TRUE(f && f->first == Frame::Reply);
  EXPECT_EQ(Reply::decode(f->second).value().outcome.error().code, Errc::Unsupported);
  f = read_frame(ctl->get());
  ASSERT_TRUE(f && f->first == Frame::Reply);
  EXPECT_EQ(Reply::decode(f->second).value().outcome.error().code, Errc::InvalidArgument);
  // Output goes to the stdio connection only.
  ASSERT_TRUE(write_frame(h->conn.get(), Frame::Stdin, "x\n"));
  auto c = collect(h->conn.get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.out, "out x\n");
  // After the exit: Conflict while the shim lingers, then the end of the
  // connection (never an output or Exited frame on it).
  if (write_frame(ctl->get(), Frame::Request, R"({"id":4,"op":"kill","signal":9})")) {
    f = read_frame(ctl->get());
    if (f) {
      ASSERT_EQ(f->first, Frame::Reply) << "no output and no Exited on a control connection";
      EXPECT_EQ(Reply::decode(f->second).value().outcome.error().code, Errc::Conflict);
      f = read_frame(ctl->get());
    }
    EXPECT_FALSE(f) << "then the shim ends";
  }
  EXPECT_EQ(reap(*h), 0);
}

// An exec's shim answers kill (its process) and refuses what is the container's.
TEST_F(Shim, ExecShimAnswersKillOnly) {
  auto o = container({"sleep", "1000"});
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  nlohmann::json proc = b_.config()["process"];
  proc["args"] = {"sleep", "1000"};
  LaunchOptions e;
  e.shim_binary = shim_binary();
  e.id = o.id;
  e.runtime_root = o.runtime_root;
  e.state_dir = new_state_dir();
  e.exec_process_json = proc.dump();
  auto eh = launch(e);
  ASSERT_TRUE(eh) << eh.error().str();
  auto ctl = connect_shim(e.state_dir);
  ASSERT_TRUE(ctl) << ctl.error().str();
  ASSERT_TRUE(write_frame(ctl->get(), Frame::Control, ""));
  ASSERT_TRUE(write_frame(ctl->get(), Frame::Request, R"({"id":1,"op":"pause"})"));
  auto f = read_frame(ctl->get());
  ASSERT_TRUE(f && f->first == Frame::Reply);
  EXPECT_EQ(Reply::decode(f->second).value().outcome.error().code, Errc::Unsupported);
  ASSERT_TRUE(write_frame(ctl->get(), Frame::Request, R"({"id":2,"op":"kill","signal":9})"));
  f = read_frame(ctl->get());
  ASSERT_TRUE(f && f->first == Frame::Reply);
  EXPECT_TRUE(Reply::decode(f->second).value().outcome);
  auto ec = collect(eh->conn.get());
  ASSERT_TRUE(ec.exited);
  EXPECT_EQ(ec.exited->exit_code, 137);
  EXPECT_EQ(reap(*eh), 0);
  EXPECT_TRUE(container_known(o.id)) << "the container runs on";
  ASSERT_EQ(b_.runtime({"kill", o.id, "KILL"}).status, 0);
  EXPECT_TRUE(collect(h->conn.get()).exited);
  EXPECT_EQ(reap(*h), 0);
}

// A daemon that hangs (never reads) loses its connection once the backlog is
// too big; the container's output still reaches the log, and it runs on.
// A reader slower than the process: the process's output waits for it (its
// pipe fills), and the reader gets every byte in order. The shim used to drop
// a connection 1 MiB behind; the daemon's reconnect then left a gap (docker
// exec -i ... cat < 20 MB gave 16 MB back).
TEST_F(Shim, ASlowReaderGetsEveryByteOfOutput) {
  constexpr size_t kBytes = 16u << 20;
  auto o = container({"sh", "-c", "head -c " + std::to_string(kBytes) + " /dev/zero | tr '\\0' x; exit 9"});
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  // Small reads: far slower than head and tr write.
  auto c = collect(h->conn.get(), {}, 60000, nullptr, 4096);
  ASSERT_TRUE(c.exited) << "no Exited frame (eof: " << c.eof << ", " << c.out.size() << " bytes)";
  EXPECT_EQ(c.exited->exit_code, 9);
  EXPECT_EQ(c.out.size(), kBytes);
  EXPECT_EQ(c.out.find_first_not_of('x'), std::string::npos);
  EXPECT_EQ(reap(*h), 0);
}

// A daemon that never reads holds the output back only for --output-stall-ms:
// then its connection is dropped, the container goes on, another connection
// sees the rest, and the log has everything.
TEST_F(Shim, ADaemonThatNeverReadsIsDroppedAfterTheStallTime) {
  constexpr int kBytes = 3000000;
  constexpr int kStallMs = 1000;
  auto o = container({"sh", "-c", "yes abcdefghijklmnopqrstuvwxyz | head -c " + std::to_string(kBytes) +
                                      "; echo; echo written >&2; read x; exit 9"});
  o.open_stdin = true;
  o.extra_args = {"--output-stall-ms", std::to_string(kStallMs)};
  auto t0 = std::chrono::steady_clock::now();
  auto h = launch(o);
  ASSERT_TRUE(h) << h.error().str();
  // A second connection that keeps up sees the end of the output only once
  // the daemon's first connection, never read, was given up.
  auto conn = connect_shim(o.state_dir);
  ASSERT_TRUE(conn) << conn.error().str();
  auto seen = collect(conn->get(), [](const Collected& c) { return c.err.find("written") != std::string::npos; });
  ASSERT_NE(seen.err.find("written"), std::string::npos);
  auto held_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(held_ms, kStallMs) << "the output did not wait for the connection that was behind";

  auto stale = collect(h->conn.get());
  EXPECT_TRUE(stale.eof) << "the shim hangs up on a connection that stopped reading";
  EXPECT_FALSE(stale.exited);
  EXPECT_LT(stale.out.size(), static_cast<size_t>(kBytes));
  EXPECT_EQ(::kill(h->pid, 0), 0) << "the container still runs";

  std::optional<ShimState> state;
  ASSERT_TRUE(write_frame(conn->get(), Frame::Hello, ""));
  collect(conn->get(), [&](const Collected&) { return state.has_value(); }, 20000, &state);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->pid, h->pid);

  ASSERT_TRUE(write_frame(conn->get(), Frame::Stdin, "x\n"));
  auto c = collect(conn->get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.exited->exit_code, 9);
  EXPECT_EQ(reap(*h), 0);
  size_t logged = 0;
  for (const auto& e : log_entries(o.log_path))
    if (e.stream == "stdout") logged += e.log.size();
  EXPECT_EQ(logged, static_cast<size_t>(kBytes) + 1) << "every byte of output is in the log";
}

// kill -9 of the daemon: the shim (in its own session) and the container
// run on; a new daemon reconnects and sees the exit.
TEST_F(Shim, SurvivesTheDaemonBeingKilled) {
  auto o = container({"sh", "-c", "read x; exit 4"});
  o.open_stdin = true;
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  pid_t daemon = ::fork();
  ASSERT_GE(daemon, 0);
  if (daemon == 0) {
    auto h = launch_shim(o);
    pid_t pids[2] = {h ? h->shim_pid : -1, h ? h->pid : -1};
    (void)!::write(p[1], pids, sizeof pids);
    ::pause();
    _exit(0);
  }
  ::close(p[1]);
  pid_t pids[2] = {-1, -1};
  ASSERT_EQ(::read(p[0], pids, sizeof pids), static_cast<ssize_t>(sizeof pids));
  ::close(p[0]);
  ASSERT_GT(pids[0], 0) << "launch failed in the fake daemon";
  ::kill(daemon, SIGKILL);
  ASSERT_EQ(wait_shim(daemon), 137);

  UniqueFd shim_pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pids[0], 0)));
  ASSERT_TRUE(shim_pidfd);
  EXPECT_TRUE(shim_alive(o.state_dir));
  EXPECT_EQ(::kill(pids[1], 0), 0);
  auto conn = connect_shim(o.state_dir);
  ASSERT_TRUE(conn) << conn.error().str();
  std::optional<ShimState> state;
  ASSERT_TRUE(write_frame(conn->get(), Frame::Hello, ""));
  collect(conn->get(), [&](const Collected&) { return state.has_value(); }, 20000, &state);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->pid, pids[1]);
  ASSERT_TRUE(write_frame(conn->get(), Frame::Stdin, "x\n"));
  auto c = collect(conn->get());
  ASSERT_TRUE(c.exited);
  EXPECT_EQ(c.exited->exit_code, 4);
  // Not our child any more: wait for it through its pidfd.
  pollfd pfd{shim_pidfd.get(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 20000), 1);
  EXPECT_FALSE(shim_alive(o.state_dir));
  EXPECT_EQ(read_exit_file(o.state_dir).value()->exit_code, 4);
}

// 50 shims of sleeping containers: their memory (PSS, what each really costs)
// and how long launch() takes to Started.
TEST_F(Shim, FiftyShimsMemoryAndLaunchLatency) {
  constexpr int kShims = 50;
  std::vector<ShimHandle> hs;
  double total_ms = 0, worst_ms = 0;
  for (int i = 0; i < kShims; ++i) {
    auto o = container({"sleep", "1000"});
    if (i % 2 == 1) {
      o.log_driver = "none";
      o.log_path.clear();
    }
    auto t0 = std::chrono::steady_clock::now();
    auto h = launch(o);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(h) << h.error().str();
    total_ms += ms;
    worst_ms = std::max(worst_ms, ms);
    hs.push_back(std::move(*h));
  }
  auto field_kb = [](pid_t pid, const std::string& name) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/smaps_rollup");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind(name + ":", 0) == 0) return std::stol(line.substr(name.size() + 1));
    return -1L;
  };
  long pss = 0, rss = 0, priv = 0;
  for (const auto& h : hs) {
    long v = field_kb(h.shim_pid, "Pss");
    ASSERT_GE(v, 0);
    pss += v;
    rss += field_kb(h.shim_pid, "Rss");
    priv += field_kb(h.shim_pid, "Private_Dirty");
  }
  std::printf("[ shims  ] %d shims: PSS %ld kB total, %.0f kB each; RSS %.0f kB, Private_Dirty %.0f kB each\n",
              kShims, pss, pss / double(kShims), rss / double(kShims), priv / double(kShims));
  std::printf("[ launch ] launch() -> Started: %.2f ms average, %.2f ms worst\n", total_ms / kShims, worst_ms);
  EXPECT_LT(pss / kShims, 1024) << "PSS per shim above 1 MiB";

  for (const auto& h : hs) ::kill(h.pid, SIGKILL);
  for (auto& h : hs) {
    auto c = collect(h.conn.get());
    ASSERT_TRUE(c.exited);
    EXPECT_EQ(c.exited->exit_code, 137);
    EXPECT_EQ(reap(h), 0);
  }
}

}  // namespace
