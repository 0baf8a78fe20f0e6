// The Task interface over berth-shim on the real kernel (root): busybox
// containers driven through ShimTaskRuntime as the engine drives them.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "logs/log_reader.h"
#include "support/bundle.h"
#include "task/shim_task.h"

using namespace berth;
using namespace berth::task;
using namespace berth::testing;
namespace fs = std::filesystem;

namespace {

constexpr auto kGuard = std::chrono::seconds(30);  // a broken test fails instead of hanging

std::string shim_binary() {
  if (const char* p = std::getenv("BERTH_SHIM")) return p;
  fs::path sibling = fs::path(runtime_path()).parent_path().parent_path() / "berth-shim" / "berth-shim";
  if (fs::exists(sibling)) return sibling;
  throw std::runtime_error("BERTH_SHIM is not set (run through ctest)");
}

class Recorder : public ProcessListener {
 public:
  void on_output(Stream stream, std::string_view bytes) override {
    std::lock_guard lk(mu_);
    (stream == Stream::Stderr ? err_ : out_).append(bytes);
    cv_.notify_all();
  }
  void on_exit(const ExitStatus& st) override {
    std::lock_guard lk(mu_);
    exits_.push_back(st);
    cv_.notify_all();
  }
  // Until the output holds `text`: the process reached that point.
  bool wait_for(const std::string& text) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, kGuard, [&] { return out_.find(text) != std::string::npos; });
  }
  std::optional<ExitStatus> wait_exit() {
    std::unique_lock lk(mu_);
    if (!cv_.wait_for(lk, kGuard, [&] { return !exits_.empty(); })) return std::nullopt;
    return exits_.front();
  }
  size_t exits() {
    std::lock_guard lk(mu_);
    return exits_.size();
  }
  std::string out() {
    std::lock_guard lk(mu_);
    return out_;
  }
  std::string err() {
    std::lock_guard lk(mu_);
    return err_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string out_, err_;
  std::vector<ExitStatus> exits_;
};

// The controller's directory of a container: /berth/<id> (the runtime's default).
std::string v1_dir(const std::string& controller, const std::string& id) {
  return "/sys/fs/cgroup/" + controller + "/berth/" + id;
}
bool v1(const std::string& controller) { return fs::exists("/sys/fs/cgroup/" + controller + "/tasks"); }
std::string v2_dir(const std::string& id) {
  std::string unified = fs::exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  return unified + "/berth/" + id;
}
std::string read_trimmed(const std::string& path) { return std::string(trim(slurp(path))); }

bool frozen(const std::string& id) {
  if (v1("freezer")) return read_trimmed(v1_dir("freezer", id) + "/freezer.state") == "FROZEN";
  return read_trimmed(v2_dir(id) + "/cgroup.freeze") == "1";
}
std::string memory_limit(const std::string& id) {
  if (v1("memory")) return read_trimmed(v1_dir("memory", id) + "/memory.limit_in_bytes");
  return read_trimmed(v2_dir(id) + "/memory.max");
}
std::string pids_limit(const std::string& id) {
  if (v1("pids")) return read_trimmed(v1_dir("pids", id) + "/pids.max");
  return read_trimmed(v2_dir(id) + "/pids.max");
}

std::vector<std::string> berth_parent_dirs() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    auto p = e.path() / "berth";
    if (fs::is_directory(p, ec)) out.push_back(p.string());
  }
  return out;
}

class Tasks : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { parents_before_ = berth_parent_dirs(); }
  static void TearDownTestSuite() {
    for (const auto& d : berth_parent_dirs())
      if (std::find(parents_before_.begin(), parents_before_.end(), d) == parents_before_.end()) ::rmdir(d.c_str());
  }
  static inline std::vector<std::string> parents_before_;

  void SetUp() override {
    char tmpl[] = "/tmp/berth-task-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    state_root_ = tmpl;
    // With a standby shim, as berthd runs it (tests/integration/shim tests both ways).
    rt_ = std::make_unique<ShimTaskRuntime>(
        ShimTaskRuntimeConfig{shim_binary(), b_.state_root(), state_root_ + "/tasks", true});
  }
  void TearDown() override {
    tasks_.clear();  // stops following what is left
    for (const auto& id : ids_) b_.runtime({"delete", "--force", id});
    // Shims this process spawned and that nothing reaped (a test that failed half-way).
    for (pid_t pid : shim_pids_) ::waitpid(pid, nullptr, 0);
    fs::remove_all(state_root_);
  }

  CreateRequest container(const std::vector<std::string>& args) {
    b_.set_args(args);
    b_.save();
    CreateRequest r;
    r.id = b_.unique_id("task");
    r.bundle = b_.dir();
    r.log.driver = "json-file";
    r.log.path = state_root_ + "/" + r.id + "-json.log";
    ids_.push_back(r.id);
    return r;
  }

  // Starts it; the shim (our child) is reaped by the test if the task does not.
  Task* start(const CreateRequest& r, std::shared_ptr<Recorder> rec) {
    auto t = rt_->start(r, rec);
    EXPECT_TRUE(t) << t.error().str();
    if (!t) return nullptr;
    tasks_.push_back(std::move(*t));
    return tasks_.back().get();
  }

  pid_t shim_pid(const std::string& id) {
    auto parts = split(trim(slurp(rt_->state_dir(id) + "/shim.pid")), ' ', true);
    return parts.empty() ? 0 : static_cast<pid_t>(std::stol(parts[0]));
  }

  bool container_known(const std::string& id) { return b_.runtime({"state", id}).status == 0; }

  Bundle b_;
  std::string state_root_;
  std::unique_ptr<ShimTaskRuntime> rt_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::vector<std::string> ids_;
  std::vector<pid_t> shim_pids_;
};

TEST_F(Tasks, StartOutputAndExitGoToTheListener) {
  auto r = container({"sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"});
  auto rec = std::make_shared<Recorder>();
  auto t0 = std::chrono::steady_clock::now();
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  std::printf("[ task   ] start() -> running: %.2f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  EXPECT_GT(t->pid(), 0);
  EXPECT_EQ(rt_->name(), "berth");
  EXPECT_TRUE(rt_->exists(r.id));
  auto st = rec->wait_exit();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->exit_code, 3);
  EXPECT_FALSE(st->oom_killed);
  EXPECT_FALSE(st->finished_at.empty());
  EXPECT_EQ(rec->out(), "to-stdout\n");
  EXPECT_EQ(rec->err(), "to-stderr\n");
  // The log has it too.
  std::string logged;
  ASSERT_TRUE(logs::read_json_log(r.log.path, {}, [&](const logs::LogEntry& e) {
    logged += e.stream + ":" + e.log;
    return true;
  }));
  EXPECT_NE(logged.find("stdout:to-stdout\n"), std::string::npos) << logged;
  EXPECT_NE(logged.find("stderr:to-stderr\n"), std::string::npos) << logged;
  // Release reaps the shim and removes the state.
  t->release();
  EXPECT_FALSE(fs::exists(rt_->state_dir(r.id)));
  EXPECT_FALSE(rt_->exists(r.id));
  EXPECT_FALSE(container_known(r.id)) << "the shim deleted the container";
  EXPECT_EQ(rec->exits(), 1u);
}

TEST_F(Tasks, ProcessThatCannotStart) {
  auto r = container({"no-such-program"});
  auto rec = std::make_shared<Recorder>();
  auto t = rt_->start(r, rec);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::NotFound) << t.error().str();
  EXPECT_FALSE(rt_->exists(r.id)) << "nothing is left of a task that did not start";
  EXPECT_FALSE(container_known(r.id));
  auto bad = container({"true"});
  bad.log.options = {{"max-file", "0"}};
  t = rt_->start(bad, rec);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::InvalidArgument);
  EXPECT_NE(t.error().message.find("max-file cannot be less than 1"), std::string::npos) << t.error().str();
  EXPECT_EQ(rec->exits(), 0u);
}

TEST_F(Tasks, LogDrivers) {
  auto none = container({"echo", "not logged"});
  none.log = LogSpec{"none", "", {}};
  auto rec = std::make_shared<Recorder>();
  Task* t = start(none, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_exit());
  EXPECT_EQ(rec->out(), "not logged\n");
  t->release();

  auto cri = container({"sh", "-c", "echo line; printf partial"});
  cri.log = LogSpec{"cri", state_root_ + "/cri.log", {}};
  auto rec2 = std::make_shared<Recorder>();
  t = start(cri, rec2);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec2->wait_exit());
  t->release();
  auto lines = split(slurp(cri.log.path), '\n', true);
  ASSERT_EQ(lines.size(), 2u) << slurp(cri.log.path);
  EXPECT_NE(lines[0].find(" stdout F line"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(" stdout P partial"), std::string::npos) << lines[1];
}

TEST_F(Tasks, KillTheInitAndKillAll) {
  auto rec = std::make_shared<Recorder>();
  Task* t = start(container({"sh", "-c", "echo ready; exec sleep 1000"}), rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  ASSERT_TRUE(t->kill(SIGKILL));
  auto st = rec->wait_exit();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->exit_code, 137);
  auto again = t->kill(SIGKILL);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::Conflict) << again.error().str();
  t->release();

  auto rec2 = std::make_shared<Recorder>();
  auto r2 = container({"sh", "-c", "sleep 1000 & sleep 1000 & echo ready; wait"});
  t = start(r2, rec2);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec2->wait_for("ready"));
  auto pids = t->pids();
  ASSERT_TRUE(pids) << pids.error().str();
  EXPECT_EQ(pids->size(), 3u);
  ASSERT_TRUE(t->kill_all(SIGKILL));
  st = rec2->wait_exit();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->exit_code, 137);
  auto bad = t->kill_all(0);
  EXPECT_FALSE(bad);
  t->release();
}

TEST_F(Tasks, PauseAndResumeTheFreezer) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "echo ready; read x; echo \"got $x\""});
  r.open_stdin = true;
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  ASSERT_TRUE(t->pause());
  EXPECT_TRUE(frozen(r.id));
  auto twice = t->pause();
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::Conflict) << twice.error().str();
  auto pids = t->pids();
  ASSERT_TRUE(pids) << "a paused container still lists its processes";
  EXPECT_FALSE(pids->empty());
  ASSERT_TRUE(t->resume());
  EXPECT_FALSE(frozen(r.id));
  ASSERT_TRUE(t->write_stdin("thawed\n"));
  ASSERT_TRUE(rec->wait_for("got thawed"));
  auto st = rec->wait_exit();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->exit_code, 0);
  EXPECT_EQ(t->resume().error().code, Errc::Conflict);
  t->release();
}

TEST_F(Tasks, UpdateResourcesReadBackFromTheCgroup) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "echo ready; exec sleep 1000"});
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  ResourceUpdate u;
  u.memory = 64 << 20;
  u.pids_limit = 77;
  ASSERT_TRUE(t->update(u));
  EXPECT_EQ(memory_limit(r.id), std::to_string(64 << 20));
  EXPECT_EQ(pids_limit(r.id), "77");
  ASSERT_TRUE(t->update(ResourceUpdate{})) << "nothing to change";
  ResourceUpdate bad;
  bad.memory = 64 << 20;
  bad.memory_swap = 32 << 20;  // below the memory limit
  auto refused = t->update(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::InvalidArgument) << refused.error().str();
  ASSERT_TRUE(t->kill(SIGKILL));
  ASSERT_TRUE(rec->wait_exit());
  t->release();
}

TEST_F(Tasks, StatsOfARunningContainer) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "i=0; while [ $i -lt 5000 ]; do i=$((i+1)); done; sleep 1000 & echo ready; wait"});
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  auto s = t->stats();
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_TRUE(s->running);
  EXPECT_GT(s->cpu.total_ns, 0u);
  EXPECT_GT(s->cpu.system_ns, 0u);
  EXPECT_GT(s->cpu.online_cpus, 0);
  EXPECT_GT(s->memory.usage, 0u);
  EXPECT_GT(s->memory.limit, 0u);
  EXPECT_FALSE(s->memory.raw.empty());
  EXPECT_EQ(s->pids, 2u) << "sh and sleep";
  ASSERT_TRUE(t->kill_all(SIGKILL));
  ASSERT_TRUE(rec->wait_exit());
  auto after = t->stats();
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, Errc::Conflict);
  t->release();
}

// A process that does not read its stdin makes the shim stop taking stdin
// (and the daemon's write block): requests still get their answers.
TEST_F(Tasks, RequestsAreAnsweredWhileStdinIsBackedUp) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "echo ready; exec sleep 1000"});
  r.open_stdin = true;
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  std::thread writer([t] {
    std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 8; ++i)
      if (!t->write_stdin(chunk)) return;  // ends once the process is gone
  });
  auto pids = t->pids();
  ASSERT_TRUE(pids) << pids.error().str();
  EXPECT_EQ(pids->size(), 1u);
  ASSERT_TRUE(t->kill(SIGKILL));
  auto st = rec->wait_exit();
  writer.join();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->exit_code, 137);
  t->release();
}

TEST_F(Tasks, StdinAndCloseStdinOfTheContainer) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"cat"});
  r.open_stdin = true;
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->write_stdin("hello "));
  ASSERT_TRUE(t->write_stdin("task\n"));
  ASSERT_TRUE(t->close_stdin());
  auto st = rec->wait_exit();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->exit_code, 0);
  EXPECT_EQ(rec->out(), "hello task\n");
  t->release();
}

TEST_F(Tasks, ExecWithoutATerminal) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "echo ready; exec sleep 1000"});
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  ExecRequest e;
  e.exec_id = "exec1";
  e.args = {"sh", "-c", "echo \"$FOO $(pwd) $(id -u):$(id -g)\"; echo exec-err >&2; exit 5"};
  e.env = {"FOO=bar"};
  e.cwd = "/tmp";
  e.user = ProcessUser{1000, 1001, {}};
  auto erec = std::make_shared<Recorder>();
  auto t0 = std::chrono::steady_clock::now();
  auto p = t->exec(e, erec);
  ASSERT_TRUE(p) << p.error().str();
  std::printf("[ task   ] exec() -> running: %.2f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  EXPECT_GT((*p)->pid(), 0);
  EXPECT_NE((*p)->pid(), t->pid());
  auto st = erec->wait_exit();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->exit_code, 5);
  EXPECT_EQ(erec->out(), "bar /tmp 1000:1001\n");
  EXPECT_EQ(erec->err(), "exec-err\n");
  EXPECT_FALSE(fs::exists(rt_->state_dir(r.id) + "/exec/exec1")) << "an exec leaves nothing behind";
  EXPECT_TRUE(rec->out() == "ready\n") << "the exec's output is the exec's";
  EXPECT_EQ((*p)->kill(SIGKILL).error().code, Errc::Conflict);

  // An exec that cannot start says why.
  e.exec_id = "exec2";
  e.args = {"no-such-program"};
  auto bad = t->exec(e, erec);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::NotFound) << bad.error().str();

  // Stdin of an exec, and kill.
  ExecRequest c;
  c.exec_id = "exec3";
  c.args = {"cat"};
  c.open_stdin = true;
  auto crec = std::make_shared<Recorder>();
  auto cp = t->exec(c, crec);
  ASSERT_TRUE(cp) << cp.error().str();
  ASSERT_TRUE((*cp)->write_stdin("via exec\n"));
  ASSERT_TRUE(crec->wait_for("via exec\n"));
  ASSERT_TRUE((*cp)->close_stdin());
  ASSERT_TRUE(crec->wait_exit());
  ExecRequest s;
  s.exec_id = "exec4";
  s.args = {"sleep", "1000"};
  auto srec = std::make_shared<Recorder>();
  auto sp = t->exec(s, srec);
  ASSERT_TRUE(sp) << sp.error().str();
  ASSERT_TRUE((*sp)->kill(SIGKILL));
  auto sst = srec->wait_exit();
  ASSERT_TRUE(sst);
  EXPECT_EQ(sst->exit_code, 137);
  EXPECT_EQ(rec->exits(), 0u) << "the container runs on";
  ASSERT_TRUE(t->kill(SIGKILL));
  ASSERT_TRUE(rec->wait_exit());
  t->release();
}

TEST_F(Tasks, ExecWithATerminalStdinAndResize) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "echo ready; exec sleep 1000"});
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  ExecRequest e;
  e.exec_id = "tty1";
  e.args = {"sh", "-c", "read line; stty size; tty; echo \"got $line\""};
  e.tty = true;
  e.open_stdin = true;
  auto erec = std::make_shared<Recorder>();
  auto p = t->exec(e, erec);
  ASSERT_TRUE(p) << p.error().str();
  ASSERT_TRUE((*p)->resize(33, 111));
  ASSERT_TRUE((*p)->write_stdin("go\n"));
  auto st = erec->wait_exit();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->exit_code, 0);
  EXPECT_NE(erec->out().find("33 111\r\n"), std::string::npos) << erec->out();
  EXPECT_NE(erec->out().find("/dev/pts/"), std::string::npos) << erec->out();
  EXPECT_NE(erec->out().find("got go\r\n"), std::string::npos) << erec->out();
  EXPECT_TRUE(erec->err().empty()) << "a terminal has one stream";

  // close_stdin on a terminal: the line discipline's EOF.
  ExecRequest c;
  c.exec_id = "tty2";
  c.args = {"sh", "-c", "cat >/dev/null; echo after-eof"};
  c.tty = true;
  c.open_stdin = true;
  auto crec = std::make_shared<Recorder>();
  auto cp = t->exec(c, crec);
  ASSERT_TRUE(cp) << cp.error().str();
  ASSERT_TRUE((*cp)->write_stdin("some input\n"));
  ASSERT_TRUE((*cp)->close_stdin());
  ASSERT_TRUE(crec->wait_exit());
  EXPECT_NE(crec->out().find("after-eof"), std::string::npos) << crec->out();
  ASSERT_TRUE(t->kill(SIGKILL));
  ASSERT_TRUE(rec->wait_exit());
  t->release();
}

TEST_F(Tasks, TerminalOfTheContainerWithResize) {
  b_.config()["process"]["terminal"] = true;
  auto r = container({"sh", "-c", "read line; stty size; echo \"got $line\""});
  r.tty = true;
  r.open_stdin = true;
  auto rec = std::make_shared<Recorder>();
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->resize(24, 80));
  ASSERT_TRUE(t->write_stdin("go\n"));
  ASSERT_TRUE(rec->wait_exit());
  EXPECT_NE(rec->out().find("24 80\r\n"), std::string::npos) << rec->out();
  EXPECT_NE(rec->out().find("got go"), std::string::npos) << rec->out();
  t->release();
}

TEST_F(Tasks, DisconnectThenReattachToARunningOne) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "echo ready; read x; echo \"read $x\"; exit 7"});
  r.open_stdin = true;
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  pid_t pid = t->pid();
  pid_t shim = shim_pid(r.id);
  shim_pids_.push_back(shim);  // our child: reaped at the end
  t->disconnect();
  tasks_.clear();  // the daemon went away
  EXPECT_EQ(::kill(pid, 0), 0) << "the container runs on";

  auto rec2 = std::make_shared<Recorder>();
  auto again = rt_->reattach(r.id, rec2);
  ASSERT_TRUE(again) << again.error().str();
  ASSERT_TRUE(again->task);
  EXPECT_FALSE(again->exited);
  EXPECT_EQ(again->task->pid(), pid);
  ASSERT_TRUE(again->task->write_stdin("again\n"));
  auto st = rec2->wait_exit();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->exit_code, 7);
  EXPECT_NE(rec2->out().find("read again"), std::string::npos) << rec2->out();
  EXPECT_EQ(rec->exits(), 0u) << "no exit for a listener that was disconnected";
  // Exec works after a reattach (the bundle is in task.json).
  again->task->release();
  EXPECT_FALSE(rt_->exists(r.id));
}

TEST_F(Tasks, ExecAfterReattach) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "echo ready; exec sleep 1000"});
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  shim_pids_.push_back(shim_pid(r.id));
  t->disconnect();
  tasks_.clear();
  auto rec2 = std::make_shared<Recorder>();
  auto again = rt_->reattach(r.id, rec2);
  ASSERT_TRUE(again && again->task) << (again ? "exited" : again.error().str());
  ExecRequest e;
  e.exec_id = "after";
  e.args = {"echo", "exec after reattach"};
  auto erec = std::make_shared<Recorder>();
  auto p = again->task->exec(e, erec);
  ASSERT_TRUE(p) << p.error().str();
  ASSERT_TRUE(erec->wait_exit());
  EXPECT_EQ(erec->out(), "exec after reattach\n");
  auto pids = again->task->pids();
  ASSERT_TRUE(pids) << pids.error().str();
  ASSERT_TRUE(again->task->kill(SIGKILL));
  ASSERT_TRUE(rec2->wait_exit());
  again->task->release();
}

TEST_F(Tasks, ReattachAfterItExitedMeanwhile) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "echo ready; exec sleep 1000"});
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  pid_t shim = shim_pid(r.id);
  t->disconnect();
  tasks_.clear();
  // It ends while nobody follows: killed from outside, its shim records it and goes.
  ASSERT_EQ(b_.runtime({"kill", r.id, "KILL"}).status, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(shim, &status, 0), shim);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  auto rec2 = std::make_shared<Recorder>();
  auto again = rt_->reattach(r.id, rec2);
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_FALSE(again->task);
  ASSERT_TRUE(again->exited);
  EXPECT_EQ(again->exited->exit_code, 137);
  EXPECT_FALSE(again->exited->finished_at.empty());
  EXPECT_EQ(rec2->exits(), 0u) << "the exit comes back as the answer, not through the listener";
  EXPECT_TRUE(rt_->exists(r.id));
  rt_->cleanup(r.id);
  EXPECT_FALSE(rt_->exists(r.id));
  auto gone = rt_->reattach(r.id, rec2);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::NotFound);
}

TEST_F(Tasks, ReattachWhenNothingIsLeft) {
  auto rec = std::make_shared<Recorder>();
  auto none = rt_->reattach("never-started", rec);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::NotFound);
  EXPECT_FALSE(rt_->exists("never-started"));
  rt_->cleanup("never-started");  // nothing to do
  EXPECT_FALSE(rt_->reattach("../escape", rec)) << "ids name directories";
}

TEST_F(Tasks, CleanupOfALiveShimKillsTheContainer) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "echo ready; exec sleep 1000"});
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  pid_t shim = shim_pid(r.id);
  t->disconnect();
  tasks_.clear();
  rt_->cleanup(r.id);
  EXPECT_FALSE(rt_->exists(r.id));
  EXPECT_FALSE(container_known(r.id));
  int status = 0;
  ASSERT_EQ(::waitpid(shim, &status, 0), shim) << "the shim ended";
}

TEST_F(Tasks, CleanupAfterAShimThatDied) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "echo ready; exec sleep 1000"});
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  pid_t pid = t->pid();
  pid_t shim = shim_pid(r.id);
  t->disconnect();
  tasks_.clear();
  // The shim dies without recording anything; its container runs on, unwatched.
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  ASSERT_EQ(::waitpid(shim, nullptr, 0), shim);
  EXPECT_TRUE(container_known(r.id));
  auto rec2 = std::make_shared<Recorder>();
  auto again = rt_->reattach(r.id, rec2);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::NotFound) << again.error().str();
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  rt_->cleanup(r.id);
  EXPECT_FALSE(rt_->exists(r.id));
  EXPECT_FALSE(container_known(r.id)) << "berth-shim --cleanup deleted the container";
  if (pidfd) {
    pollfd p{pidfd.get(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 20000), 1) << "its process is gone";
  }
}

TEST_F(Tasks, DroppingARunningTaskStopsFollowingIt) {
  auto rec = std::make_shared<Recorder>();
  auto r = container({"sh", "-c", "echo ready; exec sleep 1000"});
  Task* t = start(r, rec);
  ASSERT_TRUE(t);
  ASSERT_TRUE(rec->wait_for("ready"));
  pid_t shim = shim_pid(r.id);
  tasks_.clear();  // no disconnect(): the destructor does it
  ASSERT_EQ(b_.runtime({"kill", r.id, "KILL"}).status, 0);
  ASSERT_EQ(::waitpid(shim, nullptr, 0), shim);
  EXPECT_EQ(rec->exits(), 0u);
  rt_->cleanup(r.id);
}

}  // namespace
