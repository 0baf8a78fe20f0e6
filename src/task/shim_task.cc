// Task, Process and TaskRuntime over berth-shim.
#include "task/shim_task.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <optional>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "shimproto/request.h"
#include "sys/syscalls.h"
#include "task/launcher.h"
#include "task/oci_json.h"
#include "task/shim_channel.h"
#include "task/stats.h"

namespace berth::task {
namespace {

using detail::ShimChannel;
using shimproto::Frame;
namespace op = shimproto::op;

constexpr char kTaskFile[] = "task.json";
// How long cleanup() waits for a live shim to see its container killed.
constexpr int kCleanupWaitMs = 10000;

// Ids become directory names.
Result<void> check_name(const std::string& name, const char* what) {
  if (name.empty() || name == "." || name == ".." || name.size() > 255 ||
      name.find_first_of(std::string_view("/\0", 2)) != std::string::npos)
    return fail(Errc::InvalidArgument, std::string(what) + " '" + name + "' cannot name a directory");
  return {};
}

bool is_dir(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) log::warn("removing {}: {}", path, ec.message());
}

Result<void> make_fresh_dir(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (::mkdir(path.c_str(), 0700) != 0) return fail_errno("creating " + path);
  return {};
}

std::string read_bundle(const std::string& dir) {
  auto text = read_file(dir + "/" + kTaskFile);
  if (!text) return "";
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("bundle") || !j["bundle"].is_string()) return "";
  return j["bundle"].get<std::string>();
}

pid_t read_pid(const std::string& dir) {
  auto text = read_file(dir + "/pid");
  if (!text) return 0;
  auto pid = parse_int(trim(*text));
  return pid && *pid > 0 ? static_cast<pid_t>(*pid) : 0;
}

ExitStatus to_task(const shimproto::ExitStatus& s) { return ExitStatus{s.exit_code, s.oom_killed, s.finished_at}; }

Result<void> send_stdin(ShimChannel& ch, std::string_view bytes) {
  if (bytes.empty()) return {};
  return ch.send(Frame::Stdin, bytes);
}

Result<void> send_resize(ShimChannel& ch, unsigned rows, unsigned cols) {
  return ch.send(Frame::Resize, nlohmann::json{{"h", rows}, {"w", cols}}.dump());
}

Result<void> call_void(ShimChannel& ch, std::string_view name, nlohmann::json args = nlohmann::json::object()) {
  TRYV(ch.call(name, std::move(args)));
  return {};
}

// An exec: its own shim, followed by its own thread.
class ShimProcess final : public Process {
 public:
  explicit ShimProcess(std::shared_ptr<ShimChannel> ch) : ch_(std::move(ch)) {}
  ~ShimProcess() override { ch_->disconnect(); }

  pid_t pid() const override { return ch_->pid(); }
  Result<void> write_stdin(std::string_view bytes) override { return send_stdin(*ch_, bytes); }
  Result<void> close_stdin() override { return ch_->send(Frame::CloseStdin, ""); }
  Result<void> resize(unsigned rows, unsigned cols) override { return send_resize(*ch_, rows, cols); }
  Result<void> kill(int signal) override { return call_void(*ch_, op::kKill, {{"signal", signal}}); }

 private:
  std::shared_ptr<ShimChannel> ch_;
};

class ShimTask final : public Task {
 public:
  ShimTask(std::shared_ptr<const ShimTaskRuntimeConfig> config, std::shared_ptr<ShimStandby> standby, std::string id,
           std::string bundle,
           std::shared_ptr<ShimChannel> ch)
      : config_(std::move(config)), standby_(std::move(standby)), id_(std::move(id)), bundle_(std::move(bundle)), ch_(std::move(ch)) {}
  ~ShimTask() override {
    if (!released_) ch_->disconnect();  // nothing once the exit was delivered
  }

  pid_t pid() const override { return ch_->pid(); }
  Result<void> write_stdin(std::string_view bytes) override { return send_stdin(*ch_, bytes); }
  Result<void> close_stdin() override { return ch_->send(Frame::CloseStdin, ""); }
  Result<void> resize(unsigned rows, unsigned cols) override { return send_resize(*ch_, rows, cols); }
  Result<void> kill(int signal) override { return call_void(*ch_, op::kKill, {{"signal", signal}}); }
  Result<void> kill_all(int signal) override { return call_void(*ch_, op::kKillAll, {{"signal", signal}}); }
  Result<void> pause() override { return call_void(*ch_, op::kPause); }
  Result<void> resume() override { return call_void(*ch_, op::kResume); }

  Result<void> update(const ResourceUpdate& resources) override {
    if (resources.empty()) return {};
    return call_void(*ch_, op::kUpdate, {{"resources", resources_json(resources)}});
  }

  Result<std::vector<pid_t>> pids() override {
    auto result = TRY(ch_->call(op::kPids));
    std::vector<pid_t> out;
    if (!result.is_array()) return fail(Errc::Internal, "the monitor of container " + id_ + " answered pids with " + result.dump());
    for (const auto& p : result)
      if (p.is_number_integer()) out.push_back(p.get<pid_t>());
    return out;
  }

  Result<void> reopen_log() override { return call_void(*ch_, op::kReopenLog); }

  // A VM's runner leaves vm.json in the state dir (vm/runner.h).
  std::map<std::string, std::string> details() const override {
    std::map<std::string, std::string> out;
    auto text = read_file(ch_->state_dir() + "/vm.json");
    if (!text) return out;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object()) return out;
    static const std::pair<const char*, const char*> kKeys[] = {
        {"accel", "VMAccel"}, {"accel_reason", "VMAccelReason"}, {"vcpus", "VMVCPUs"}, {"memory_mib", "VMMemoryMiB"},
        {"guest_kernel", "VMGuestKernel"}, {"qemu_pid", "VMQemuPid"}, {"pooled", "VMFromPool"}};
    for (const auto& [key, name] : kKeys) {
      if (!j.contains(key)) continue;
      out[name] = j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
    }
    return out;
  }

  Result<model::ContainerStats> stats() override {
    auto result = TRY(ch_->call(op::kStats));
    return stats_from_cgroup_json(result, stats::read_host_facts());
  }

  // Asked once: a container's cgroup does not move while it runs.
  Result<model::CgroupDirs> cgroup_dirs() override {
    std::lock_guard lk(cgroup_mu_);
    if (cgroup_dirs_) return *cgroup_dirs_;
    if (cgroup_dirs_unknown_) return fail(Errc::Unsupported, "the monitor of container " + id_ + " cannot name its cgroups");
    auto answer = ch_->call(op::kCgroupDirs);
    // A monitor from before this request (still running after an upgrade)
    // refuses it: remember, so the sampler does not ask at every pass.
    if (!answer && answer.error().code == Errc::Unsupported) cgroup_dirs_unknown_ = true;
    auto j = TRY(std::move(answer));
    if (!j.is_object() || !j.contains("mode") || !j["mode"].is_string())
      return fail(Errc::Internal, "the monitor of container " + id_ + " answered cgroup_dirs with " + j.dump());
    model::CgroupDirs d;
    d.v2 = j["mode"] == "v2";
    if (auto u = j.find("unified"); u != j.end() && u->is_string()) d.unified = u->get<std::string>();
    if (auto v1 = j.find("v1"); v1 != j.end() && v1->is_object())
      for (const auto& [k, v] : v1->items())
        if (v.is_string()) d.v1[k] = v.get<std::string>();
    if (d.v2 && d.unified.empty())
      return fail(Errc::Internal, "the monitor of container " + id_ + " named no cgroup2 directory");
    cgroup_dirs_ = d;
    return d;
  }

  Result<std::unique_ptr<Process>> exec(const ExecRequest& request, std::shared_ptr<ProcessListener> listener) override {
    TRYV(check_name(request.exec_id, "exec id"));
    if (!listener) return fail(Errc::InvalidArgument, "exec " + request.exec_id + ": no listener");
    if (ch_->exited()) return fail(Errc::Conflict, "container " + id_ + " is not running");
    if (bundle_.empty())
      return fail(Errc::Internal, "exec in container " + id_ + ": its bundle is not recorded in " +
                                      ch_->state_dir() + "/" + kTaskFile);
    auto config = TRY_CTX(read_file(bundle_ + "/config.json"), "exec in container " + id_);
    auto process = TRY(exec_process_json(config, request));
    std::string execs = ch_->state_dir() + "/exec";
    ::mkdir(execs.c_str(), 0700);
    std::string dir = execs + "/" + request.exec_id;
    TRYV(make_fresh_dir(dir));
    LaunchOptions o;
    o.shim_binary = config_->shim_binary;
    o.id = id_;
    o.runtime_root = config_->runtime_root;
    o.state_dir = dir;
    o.tty = request.tty;
    o.open_stdin = request.open_stdin;
    o.exec_process_json = process.dump();
    o.extra_args = config_->exec_shim_args;
    auto h = launch_shim(o, standby_.get());
    if (!h) {
      remove_tree(dir);
      return std::unexpected(std::move(h).error());
    }
    auto ch = ShimChannel::start({"exec " + request.exec_id + " of container " + id_, dir, h->shim_pid, h->pid,
                                  std::move(h->conn), std::move(listener), true});
    return std::unique_ptr<Process>(new ShimProcess(std::move(ch)));
  }

  void disconnect() override { ch_->disconnect(); }

  void release() override {
    released_ = true;
    if (!ch_->exited()) {
      // Removing the state of a running shim would cut it off: leave both.
      log::warn("the task of container {} was released while its process runs; it is left to its monitor", id_);
      ch_->disconnect();
      return;
    }
    ch_->reap_shim();
    remove_tree(ch_->state_dir());
  }

 private:
  std::shared_ptr<const ShimTaskRuntimeConfig> config_;
  std::shared_ptr<ShimStandby> standby_;
  std::string id_, bundle_;
  std::shared_ptr<ShimChannel> ch_;
  std::mutex cgroup_mu_;
  std::optional<model::CgroupDirs> cgroup_dirs_;
  bool cgroup_dirs_unknown_ = false;
  bool released_ = false;
};

// cleanup() of a live shim: kill the container through it, then wait until
// the shim has recorded the exit and ended (its pidfd: it may not be our child).
void kill_and_wait(const std::string& id, const std::string& dir) {
  auto text = read_file(dir + "/shim.pid");
  auto parts = text ? split(trim(*text), ' ', true) : std::vector<std::string>{};
  auto pid = parts.empty() ? std::nullopt : parse_int(parts[0]);
  if (!pid || *pid <= 0) return;
  UniqueFd pidfd(sys::pidfd_open(static_cast<pid_t>(*pid)));
  // Opened, then checked: the pid is the shim's, not a process that reused it.
  if (!pidfd || !shim_alive(dir)) return;
  auto control = connect_shim(dir);
  if (!control) return;
  shimproto::Request kill{1, std::string(op::kKillAll), {{"signal", 9}}};
  std::string out = shimproto::encode_frame(Frame::Control, "") + shimproto::encode_frame(Frame::Request, kill.encode());
  if (::send(control->get(), out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) return;
  pollfd p{pidfd.get(), POLLIN, 0};
  int n;
  do {
    n = ::poll(&p, 1, kCleanupWaitMs);
  } while (n < 0 && errno == EINTR);
  if (n == 0) log::warn("cleaning up container {}: its monitor did not end within {} s", id, kCleanupWaitMs / 1000);
}

}  // namespace

ShimTaskRuntime::ShimTaskRuntime(ShimTaskRuntimeConfig config)
    : config_(std::make_shared<const ShimTaskRuntimeConfig>(std::move(config))) {
  if (config_->standby_shim) standby_ = std::make_shared<ShimStandby>(config_->shim_binary);
}

ShimTaskRuntime::~ShimTaskRuntime() = default;

const std::string& ShimTaskRuntime::name() const { return config_->name; }

std::string ShimTaskRuntime::state_dir(const std::string& id) const { return config_->state_root + "/" + id; }

Result<std::unique_ptr<Task>> ShimTaskRuntime::start(const CreateRequest& r, std::shared_ptr<ProcessListener> listener) {
  TRYV(check_name(r.id, "container id"));
  if (r.bundle.empty()) return fail(Errc::InvalidArgument, "starting container " + r.id + ": no bundle");
  if (!listener) return fail(Errc::InvalidArgument, "starting container " + r.id + ": no listener");
  std::error_code ec;
  std::filesystem::create_directories(config_->state_root, ec);
  if (ec) return fail(Errc::Internal, "creating " + config_->state_root + ": " + ec.message());
  std::string dir = state_dir(r.id);
  TRYV(make_fresh_dir(dir));
  nlohmann::json record = {{"version", 1}, {"bundle", r.bundle}};
  if (auto w = write_file_atomic(dir + "/" + kTaskFile, record.dump(), 0600, false); !w) {
    remove_tree(dir);
    return std::unexpected(std::move(w).error());
  }
  LaunchOptions o;
  o.shim_binary = config_->shim_binary;
  o.id = r.id;
  o.runtime_root = config_->runtime_root;
  o.state_dir = dir;
  o.tty = r.tty;
  o.open_stdin = r.open_stdin;
  o.bundle = r.bundle;
  o.log_driver = r.log.driver;
  o.log_path = r.log.path;
  o.log_options = r.log.options;
  o.extra_args = config_->container_shim_args;
  std::shared_ptr<void> prepared;
  if (config_->prepare_container) prepared = config_->prepare_container(r, o.extra_args);
  auto h = launch_shim(o, standby_.get());
  if (!h) {
    remove_tree(dir);
    return std::unexpected(std::move(h).error());
  }
  auto ch = ShimChannel::start({"container " + r.id, dir, h->shim_pid, h->pid, std::move(h->conn), std::move(listener), false});
  return std::unique_ptr<Task>(new ShimTask(config_, standby_, r.id, r.bundle, std::move(ch)));
}

Result<TaskRuntime::Reattached> ShimTaskRuntime::reattach(const std::string& id,
                                                          std::shared_ptr<ProcessListener> listener) {
  TRYV(check_name(id, "container id"));
  if (!listener) return fail(Errc::InvalidArgument, "reattaching container " + id + ": no listener");
  std::string dir = state_dir(id);
  if (!is_dir(dir)) return fail(Errc::NotFound, "container " + id + " has no task (no " + dir + ")");
  if (shim_alive(dir)) {
    auto conn = connect_shim(dir);
    // Hello asks for the state: an exit that happened before we connected comes back at once.
    if (conn && shimproto::write_frame(conn->get(), Frame::Hello, "")) {
      auto ch = ShimChannel::start({"container " + id, dir, 0, read_pid(dir), std::move(*conn), std::move(listener), false});
      Reattached r;
      r.task = std::unique_ptr<Task>(new ShimTask(config_, standby_, id, read_bundle(dir), std::move(ch)));
      return r;
    }
    if (!conn && conn.error().code != Errc::Unavailable) return std::unexpected(std::move(conn).error());
  }
  // Gone meanwhile: what it recorded (it writes exit.json before it stops listening).
  if (auto recorded = TRY(read_exit_file(dir))) {
    Reattached r;
    r.exited = to_task(*recorded);
    return r;
  }
  if (shim_alive(dir)) return fail(Errc::Unavailable, "the monitor of container " + id + " is alive but does not answer");
  return fail(Errc::NotFound, "the monitor of container " + id + " is gone and left no exit status");
}

bool ShimTaskRuntime::exists(const std::string& id) {
  return check_name(id, "container id").has_value() && is_dir(state_dir(id));
}

void ShimTaskRuntime::cleanup(const std::string& id) {
  if (!exists(id)) return;
  std::string dir = state_dir(id);
  if (shim_alive(dir)) {
    kill_and_wait(id, dir);
    if (shim_alive(dir)) return;  // still using its directory
  }
  auto recorded = read_exit_file(dir);
  if (!recorded || !*recorded) {
    // The shim died without finishing: the container may still run, unwatched.
    if (auto r = run_shim_cleanup(config_->shim_binary, id, config_->runtime_root, dir + "/cleanup.log"); !r)
      log::warn("cleaning up container {}: {}", id, r.error().str());
  }
  remove_tree(dir);
}

}  // namespace berth::task
