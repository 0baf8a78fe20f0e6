// Fakes at the container service's seams: a task runtime whose processes
// end when the test says, a rootfs provider with images by name, and a
// network attacher that hands out addresses without a kernel.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/networks/attacher.h"
#include "engine/rootfs.h"
#include "task/task.h"

namespace berth::engine::fakes {

// Everything the fake runtime was asked, for assertions.
struct TaskLog {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<task::CreateRequest> starts;
  std::vector<std::pair<std::string, int>> signals;  // (id, signal)
  std::vector<std::string> calls;                     // "pause <id>", "update <id>", "exec <id> <cmd>", ...
  std::map<std::string, std::shared_ptr<task::ProcessListener>> listeners;  // running, by id
  std::map<std::string, std::shared_ptr<task::ProcessListener>> exec_listeners;  // by exec id
  std::set<std::string> released;
  // While set, release() waits (a monitor still cleaning up after the exit);
  // starts_during_release counts the starts that came in meanwhile.
  bool hold_release = false;
  bool in_release = false;
  int starts_during_release = 0;

  void record(std::string call) {
    std::lock_guard lk(mu);
    calls.push_back(std::move(call));
    cv.notify_all();
  }
  // Waits (bounded) until pred holds; the fakes notify on every change.
  template <class Pred>
  bool wait_for(Pred pred) {
    return wait_for_ms(10000, pred);
  }
  template <class Pred>
  bool wait_for_ms(int ms, Pred pred) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, std::chrono::milliseconds(ms), pred);
  }
};

class FakeProcess : public task::Process {
 public:
  FakeProcess(std::shared_ptr<TaskLog> log, std::string id, pid_t pid) : log_(std::move(log)), id_(std::move(id)), pid_(pid) {}
  pid_t pid() const override { return pid_; }
  Result<void> write_stdin(std::string_view bytes) override {
    log_->record("stdin " + id_ + " " + std::string(bytes));
    return {};
  }
  Result<void> close_stdin() override {
    log_->record("close_stdin " + id_);
    return {};
  }
  Result<void> resize(unsigned rows, unsigned cols) override {
    log_->record("resize " + id_ + " " + std::to_string(rows) + "x" + std::to_string(cols));
    return {};
  }
  Result<void> kill(int signal) override {
    std::lock_guard lk(log_->mu);
    log_->signals.emplace_back(id_, signal);
    log_->cv.notify_all();
    return {};
  }

 protected:
  std::shared_ptr<TaskLog> log_;
  std::string id_;
  pid_t pid_;
};

class FakeTask : public task::Task {
 public:
  FakeTask(std::shared_ptr<TaskLog> log, std::string id, pid_t pid) : proc_(log, id, pid), log_(std::move(log)), id_(std::move(id)) {}
  pid_t pid() const override { return proc_.pid(); }
  Result<void> write_stdin(std::string_view b) override { return proc_.write_stdin(b); }
  Result<void> close_stdin() override { return proc_.close_stdin(); }
  Result<void> resize(unsigned r, unsigned c) override { return proc_.resize(r, c); }
  Result<void> kill(int s) override { return proc_.kill(s); }
  Result<void> kill_all(int s) override { return proc_.kill(s); }
  Result<void> pause() override {
    log_->record("pause " + id_);
    return {};
  }
  Result<void> resume() override {
    log_->record("resume " + id_);
    return {};
  }
  Result<void> update(const task::ResourceUpdate& r) override {
    log_->record("update " + id_ + " memory=" + std::to_string(r.memory.value_or(0)));
    return {};
  }
  Result<std::vector<pid_t>> pids() override { return std::vector<pid_t>{proc_.pid()}; }
  Result<model::ContainerStats> stats() override {
    model::ContainerStats s;
    s.cpu.total_ns = 1000;
    s.memory.usage = 4096;
    s.pids = 1;
    return s;
  }
  Result<std::unique_ptr<task::Process>> exec(const task::ExecRequest& req,
                                              std::shared_ptr<task::ProcessListener> listener) override {
    {
      std::lock_guard lk(log_->mu);
      log_->exec_listeners[req.exec_id] = listener;
    }
    log_->record("exec " + id_ + " " + (req.args.empty() ? "" : req.args[0]));
    return std::make_unique<FakeProcess>(log_, req.exec_id, 4242);
  }
  void disconnect() override { log_->record("disconnect " + id_); }
  void release() override {
    std::unique_lock lk(log_->mu);
    log_->in_release = true;
    log_->cv.notify_all();
    log_->cv.wait(lk, [&] { return !log_->hold_release; });
    log_->in_release = false;
    log_->released.insert(id_);
    log_->cv.notify_all();
  }

 private:
  FakeProcess proc_;
  std::shared_ptr<TaskLog> log_;
  std::string id_;
};

class FakeTaskRuntime : public task::TaskRuntime {
 public:
  explicit FakeTaskRuntime(std::string name = "berth") : name_(std::move(name)) {}
  const std::string& name() const override { return name_; }

  // Set to make the next start fail, or to end the process before start returns.
  std::optional<Error> fail_next_start;
  std::optional<int> exit_during_start;

  Result<std::unique_ptr<task::Task>> start(const task::CreateRequest& req,
                                            std::shared_ptr<task::ProcessListener> listener) override {
    if (fail_next_start) {
      auto e = *fail_next_start;
      fail_next_start.reset();
      return std::unexpected(e);
    }
    {
      std::lock_guard lk(log->mu);
      if (log->in_release) ++log->starts_during_release;
      log->starts.push_back(req);
      log->listeners[req.id] = listener;
      log->cv.notify_all();
    }
    if (exit_during_start) {
      int code = *exit_during_start;
      exit_during_start.reset();
      listener->on_exit({code, false, "2026-12-06T00:00:00Z"});
    }
    return std::make_unique<FakeTask>(log, req.id, 1000 + static_cast<pid_t>(log->starts.size()));
  }
  Result<Reattached> reattach(const std::string& id, std::shared_ptr<task::ProcessListener> listener) override {
    return fail(Errc::NotFound, "no task " + id);
  }
  bool exists(const std::string&) override { return false; }
  void cleanup(const std::string& id) override { log->record("cleanup " + id); }

  // The test ends a process: output first, then the exit.
  void emit(const std::string& id, task::Stream stream, std::string_view bytes) {
    std::shared_ptr<task::ProcessListener> l;
    {
      std::lock_guard lk(log->mu);
      l = log->listeners.at(id);
    }
    l->on_output(stream, bytes);
  }
  void exit(const std::string& id, int code) {
    std::shared_ptr<task::ProcessListener> l;
    {
      std::lock_guard lk(log->mu);
      l = log->listeners.at(id);
      log->listeners.erase(id);
    }
    l->on_exit({code, false, "2026-12-06T00:00:01Z"});
  }
  void exit_exec(const std::string& exec_id, int code) {
    std::shared_ptr<task::ProcessListener> l;
    {
      std::lock_guard lk(log->mu);
      l = log->exec_listeners.at(exec_id);
    }
    l->on_exit({code, false, "2026-12-06T00:00:01Z"});
  }

  std::shared_ptr<TaskLog> log = std::make_shared<TaskLog>();

 private:
  std::string name_;
};

class FakeRootfs : public RootfsProvider {
 public:
  std::map<std::string, ImageDefaults> images;  // by reference
  std::vector<std::string> calls;

  Result<ImageDefaults> resolve_image(const std::string& ref) override {
    auto it = images.find(ref);
    if (it == images.end()) return fail(Errc::NotFound, "No such image: " + ref);
    return it->second;
  }
  Result<void> prepare(const std::string& image_id, const std::string& key) override {
    std::lock_guard lk(mu_);
    calls.push_back("prepare " + key);
    return {};
  }
  Result<void> mount(const std::string& key, const std::string& target) override { return {}; }
  Result<void> mount_remapped(const std::string& key, const std::string&) override {
    std::lock_guard lk(mu_);
    calls.push_back("mount_remapped " + key);
    return {};
  }
  void unmount(const std::string&) override {}
  Result<void> remove(const std::string& key) override {
    std::lock_guard lk(mu_);
    calls.push_back("remove " + key);
    return {};
  }
  std::optional<int64_t> usage(const std::string&) override { return 123; }
  Result<std::vector<model::Change>> changes(const std::string&) override { return std::vector<model::Change>{}; }
  Result<void> export_flat(const std::string&, int) override { return {}; }
  Result<std::string> commit(const std::string& key, const RootfsCommit& c) override {
    std::lock_guard lk(mu_);
    calls.push_back("commit " + key + " " + c.reference);
    last_commit = c;
    return std::string("sha256:committed");
  }
  RootfsCommit last_commit;

 private:
  std::mutex mu_;
};

class FakeAttacher : public NetworkAttacher {
 public:
  std::set<std::string> user_networks = {"appnet"};
  std::vector<std::string> calls;

  Result<NetworkRef> resolve(const std::string& network) override {
    if (network == "bridge") return NetworkRef{"bridge-id", "bridge", false};
    if (user_networks.count(network)) return NetworkRef{network + "-id", network, true};
    return fail(Errc::NotFound, "network " + network + " not found");
  }
  Result<void> create_sandbox(const std::string&) override { return {}; }
  void remove_sandbox(const std::string&) override {}
  Result<Attachment> join(const std::string& id, const std::vector<NetworkRequest>& networks,
                          const std::vector<net::PortBinding>& ports, const std::string&) override {
    Attachment a;
    int n = 2;
    for (const auto& r : networks) {
      Endpoint ep;
      ep.network_name = r.name;
      ep.network_id = r.name + "-id";
      ep.ip = "10.0.0." + std::to_string(n++);
      ep.prefix = 24;
      ep.aliases = r.aliases;
      a.endpoints[r.name] = ep;
    }
    a.published = ports;
    std::lock_guard lk(mu_);
    calls.push_back("join " + id);
    return a;
  }
  void leave(const std::string& id, const Attachment&) override {
    std::lock_guard lk(mu_);
    calls.push_back("leave " + id);
  }
  Result<Endpoint> join_one(const std::string&, const NetworkRequest& r, const std::string&, const std::string&) override {
    Endpoint ep;
    ep.network_name = r.name;
    ep.ip = "10.1.0.2";
    return ep;
  }
  void leave_one(const std::string&, const Endpoint&) override {}
  void restore(const std::string&, const std::vector<NetworkRequest>&, const Attachment&, const std::string&) override {}
  void cleanup_stale(const std::set<std::string>&) override {}
  Result<std::string> default_gateway() override { return std::string("172.30.0.1"); }

 private:
  std::mutex mu_;
};

}  // namespace berth::engine::fakes
