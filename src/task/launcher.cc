// The daemon's side of berth-shim: spawn, reconnect, and read what is left.
#include "task/launcher.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "base/defer.h"
#include "base/file.h"
#include "base/strings.h"
#include "shimproto/assignment.h"
#include "sys/proc.h"
#include "task/shim_standby.h"
#include "task/spawn.h"

namespace berth::task {

using shimproto::ExitStatus;
using shimproto::Frame;

namespace {

constexpr const char* kSocketName = "shim.sock";

// The last lines of shim.log, to explain a shim that died without a word.
std::string log_tail(const std::string& state_dir) {
  auto text = read_file(state_dir + "/shim.log");
  if (!text || text->empty()) return "";
  std::string_view t = trim(*text);
  if (t.size() > 600) t = t.substr(t.size() - 600);
  return std::string(t);
}

std::string status_text(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

std::vector<std::string> shim_args(const LaunchOptions& o) {
  std::vector<std::string> a = {o.shim_binary, "--id", o.id, "--runtime-root", o.runtime_root, "--state-dir",
                                o.state_dir};
  if (!o.exec_process_json.empty()) {
    a.insert(a.end(), {"--exec-process", o.state_dir + "/process.json"});
  } else {
    a.insert(a.end(), {"--bundle", o.bundle, "--log-driver", o.log_driver});
    if (!o.log_path.empty()) a.insert(a.end(), {"--log-path", o.log_path});
    for (const auto& [key, value] : o.log_options) a.insert(a.end(), {"--log-opt", key + "=" + value});
  }
  a.insert(a.end(), o.extra_args.begin(), o.extra_args.end());
  if (o.tty) a.push_back("--tty");
  if (o.open_stdin) a.push_back("--stdin");
  return a;
}

Result<void> check_options(const LaunchOptions& o) {
  if (o.shim_binary.empty() || o.id.empty() || o.runtime_root.empty() || o.state_dir.empty())
    return fail(Errc::InvalidArgument, "launching a shim: shim_binary, id, runtime_root and state_dir are required");
  if (o.exec_process_json.empty() == o.bundle.empty())
    return fail(Errc::InvalidArgument, "launching a shim for " + o.id + ": give either a bundle or an exec process");
  return {};
}

// The shim for opts, running and connected: the standby's idle one when it
// has one (told its work in a Launch frame), else one spawned now.
Result<SpawnedShim> start_shim(const LaunchOptions& opts, ShimStandby* standby) {
  if (standby && standby->binary() == opts.shim_binary) {
    if (auto idle = standby->take()) {
      shimproto::Assignment work{shim_args(opts), opts.state_dir + "/shim.log"};
      if (shimproto::write_frame(idle->conn.get(), Frame::Launch, work.encode())) return std::move(*idle);
      kill_and_reap(idle->pid);  // it died while idle (killed by someone): spawn one as usual
    }
  }
  return spawn_connected_shim(opts.shim_binary, shim_args(opts), opts.state_dir + "/shim.log",
                              "state dir " + opts.state_dir);
}

}  // namespace

Result<ShimHandle> launch_shim(const LaunchOptions& opts, ShimStandby* standby) {
  TRYV(check_options(opts));
  if (!opts.exec_process_json.empty())
    TRYV(write_file_atomic(opts.state_dir + "/process.json", opts.exec_process_json, 0600, false));
  auto [pid, ours] = TRY(start_shim(opts, standby));
  auto reap = Defer([&] { wait_for_process(pid); });
  while (true) {
    auto frame = shimproto::read_frame(ours.get());
    if (!frame) {
      int status = wait_for_process(pid);
      reap.dismiss();
      std::string tail = log_tail(opts.state_dir);
      return fail(Errc::Internal, "berth-shim for " + opts.id + " " + status_text(status) +
                                      " before the container started" + (tail.empty() ? "" : ": " + tail));
    }
    auto& [type, payload] = *frame;
    if (type == Frame::Started) {
      auto j = nlohmann::json::parse(payload, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("pid") || !j["pid"].is_number_integer()) {
        ::kill(pid, SIGKILL);  // cannot happen with a matching shim; do not wait on one that is out of step
        return fail(Errc::Internal, "berth-shim for " + opts.id + " sent a malformed Started frame: " + payload);
      }
      reap.dismiss();
      return ShimHandle{pid, j["pid"].get<pid_t>(), std::move(ours)};
    }
    if (type == Frame::Failed) {
      auto j = nlohmann::json::parse(payload, nullptr, false);
      std::string message = payload, code = "Internal";
      if (!j.is_discarded() && j.is_object()) {
        if (j.contains("message") && j["message"].is_string()) message = j["message"].get<std::string>();
        if (j.contains("code") && j["code"].is_string()) code = j["code"].get<std::string>();
      }
      return fail(errc_from_code(code), message);
    }
    // Output before Started cannot come (the process is not running yet); ignore anything else.
  }
}

Result<UniqueFd> connect_shim(const std::string& state_dir) {
  UniqueFd dir(::open(state_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return fail_errno("opening shim state directory " + state_dir);
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return fail_errno("creating a socket for the shim");
  // Through /proc/self/fd: a state path can exceed sun_path's 108 bytes.
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir.get(), kSocketName);
  int r;
  do {
    r = ::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    int err = errno;
    if (err == ENOENT || err == ECONNREFUSED)
      return fail(Errc::Unavailable, "the shim of " + state_dir + " is gone", err);
    return fail_errno("connecting to the shim at " + state_dir + "/" + kSocketName, err);
  }
  return sock;
}

Result<std::optional<ExitStatus>> read_exit_file(const std::string& state_dir) {
  std::string path = state_dir + "/exit.json";
  auto text = read_file(path);
  if (!text) {
    if (text.error().code == Errc::NotFound) return std::optional<ExitStatus>();
    return std::unexpected(std::move(text).error());
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return fail(Errc::Internal, path + " is not valid JSON");
  return std::optional<ExitStatus>(TRY_CTX(ExitStatus::from_json(j), path));
}

Result<void> run_shim_cleanup(const std::string& shim_binary, const std::string& id, const std::string& runtime_root,
                              const std::string& log_file) {
  std::vector<std::string> args = {shim_binary, "--id", id, "--runtime-root", runtime_root, "--cleanup"};
  pid_t pid = TRY(spawn_shim_process(shim_binary, args, log_file, -1, "cleaning up " + id));
  int status = wait_for_process(pid);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  auto text = read_file(log_file);
  std::string tail = text ? std::string(trim(*text)) : "";
  if (tail.size() > 600) tail = tail.substr(tail.size() - 600);
  return fail(Errc::Internal, "berth-shim --cleanup of " + id + " " + status_text(status) +
                                  (tail.empty() ? "" : ": " + tail));
}

bool shim_alive(const std::string& state_dir) {
  auto text = read_file(state_dir + "/shim.pid");
  if (!text) return false;
  auto parts = split(trim(*text), ' ', true);
  if (parts.size() != 2) return false;
  auto pid = parse_int(parts[0]);
  auto start = parse_uint(parts[1]);
  if (!pid || !start || *pid <= 0) return false;
  return sys::process_alive(static_cast<pid_t>(*pid), *start);
}

}  // namespace berth::task
