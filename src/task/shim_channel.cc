#include "task/shim_channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "shimproto/request.h"
#include "task/launcher.h"

namespace berth::task::detail {
namespace {

using shimproto::Frame;

// A shim answers with short cgroup-file operations; one that takes this long is stuck.
constexpr int kRequestTimeoutMs = 30000;
// A shim drops a connection that takes no output for its stall time (a hung
// reader; a slow one only slows the process's output down): the
// follower connects again as long as the shim lives, but not in a loop that
// gets nothing (counted until a connection brings a frame).
constexpr int kMaxReconnects = 100;

ExitStatus to_task(const shimproto::ExitStatus& s) { return ExitStatus{s.exit_code, s.oom_killed, s.finished_at}; }

Result<void> send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("writing to the shim");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::optional<shimproto::ExitStatus> parse_exit(const std::string& payload) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  auto st = shimproto::ExitStatus::from_json(j);
  return st ? std::optional(*st) : std::nullopt;
}

}  // namespace

ShimChannel::ShimChannel(Params& p)
    : what_(std::move(p.what)),
      state_dir_(std::move(p.state_dir)),
      remove_state_dir_at_exit_(p.remove_state_dir_at_exit),
      conn_(std::move(p.conn)),
      pid_(p.pid),
      shim_pid_(p.shim_pid) {}

ShimChannel::~ShimChannel() = default;

std::shared_ptr<ShimChannel> ShimChannel::start(Params params) {
  auto listener = std::move(params.listener);
  std::shared_ptr<ShimChannel> ch(new ShimChannel(params));
  std::thread(follow, ch, std::move(listener)).detach();
  return ch;
}

void ShimChannel::follow(std::shared_ptr<ShimChannel> self, std::shared_ptr<ProcessListener> listener) {
  std::optional<shimproto::ExitStatus> exited;
  std::vector<char> buf(64 * 1024);
  int reconnects = 0;
  while (!exited && !self->disconnected_) {
    shimproto::FrameDecoder decoder;
    bool broken = false, progressed = false;
    while (!exited && !broken) {
      ssize_t n = ::read(self->conn_.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      decoder.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
      while (!exited) {
        auto f = decoder.next();
        if (!f) {
          log::warn("the monitor of {} sent a bad frame: {}", self->what_, f.error().str());
          broken = true;
          break;
        }
        if (!*f) break;
        progressed = true;
        auto& [type, payload] = **f;
        if (type == Frame::Stdout || type == Frame::Stderr) {
          if (!self->disconnected_) listener->on_output(type == Frame::Stderr ? Stream::Stderr : Stream::Stdout, payload);
        } else if (type == Frame::Exited) {
          exited = parse_exit(payload);
          if (!exited) exited = shimproto::ExitStatus{255, false, rfc3339_now()};
        } else if (type == Frame::State) {
          auto j = nlohmann::json::parse(payload, nullptr, false);
          auto st = j.is_discarded() ? Result<shimproto::ShimState>(fail(Errc::InvalidArgument, "bad State"))
                                     : shimproto::ShimState::from_json(j);
          if (st && st->pid > 0) self->pid_ = st->pid;
          if (st && st->exited) exited = st->exited;
        }
      }
    }
    if (exited || self->disconnected_) break;
    // The connection ended without Exited: the shim died, or dropped us for
    // reading (output waited for it longer than the stall time). While it lives, follow it
    // again; the output meanwhile is in the log.
    if (progressed) reconnects = 0;
    if (broken || ++reconnects > kMaxReconnects || !shim_alive(self->state_dir_)) break;
    auto conn = connect_shim(self->state_dir_);
    if (!conn || !shimproto::write_frame(conn->get(), Frame::Hello, "")) break;
    std::lock_guard lk(self->write_mu_);
    if (self->disconnected_) break;
    self->conn_ = std::move(*conn);
  }
  self->finish(exited, *listener);
}

void ShimChannel::finish(std::optional<shimproto::ExitStatus> exited, ProcessListener& listener) {
  if (disconnected_) return;
  if (!exited) {
    auto recorded = read_exit_file(state_dir_);
    if (recorded && *recorded) {
      exited = **recorded;
    } else {
      log::error("the monitor of {} went away without an exit status", what_);
      exited = shimproto::ExitStatus{255, false, rfc3339_now()};
    }
  }
  {
    std::lock_guard lk(exit_mu_);
    if (disconnected_) return;
    exit_delivered_ = true;
  }
  exited_ = true;
  if (remove_state_dir_at_exit_) {
    reap_shim();
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }
  listener.on_exit(to_task(*exited));
  // The shim exits right after Exited (or is gone): not a wait in practice.
  reap_shim();
}

Error ShimChannel::gone(const std::string& doing) const {
  bool ended = exited_;
  if (!ended) {
    auto recorded = read_exit_file(state_dir_);
    ended = recorded && *recorded;
  }
  if (ended) return Error{Errc::Conflict, 0, "the process of " + what_ + " has exited"};
  return Error{Errc::Unavailable, 0, doing + ": the monitor of " + what_ + " is gone"};
}

Result<void> ShimChannel::send(Frame type, std::string_view payload) {
  if (exited_) return fail(Errc::Conflict, "the process of " + what_ + " has exited");
  std::lock_guard lk(write_mu_);
  do {
    std::string_view chunk = payload.substr(0, shimproto::kMaxPayload);
    if (!shimproto::write_frame(conn_.get(), type, chunk)) return std::unexpected(gone("writing to it"));
    payload.remove_prefix(chunk.size());
  } while (!payload.empty());
  return {};
}

Result<nlohmann::json> ShimChannel::call(std::string_view op, nlohmann::json args) {
  std::lock_guard lk(control_mu_);
  if (exited_) return fail(Errc::Conflict, "the process of " + what_ + " has exited");
  auto r = call_locked(op, args);
  return r;
}

Result<nlohmann::json> ShimChannel::call_locked(std::string_view op, nlohmann::json& args) {
  std::string doing = "asking for " + std::string(op);
  std::string out;
  if (!control_) {
    auto c = connect_shim(state_dir_);
    if (!c) {
      if (c.error().code == Errc::Unavailable) return std::unexpected(gone(doing));
      return std::unexpected(std::move(c).error());
    }
    control_ = std::move(*c);
    control_decoder_ = shimproto::FrameDecoder();
    out = shimproto::encode_frame(Frame::Control, "");
  }
  shimproto::Request request{++next_id_, std::string(op), std::move(args)};
  std::string payload = request.encode();
  if (payload.size() > shimproto::kMaxPayload)
    return fail(Errc::InvalidArgument, "request " + request.op + " to the monitor of " + what_ + " is too large");
  out += shimproto::encode_frame(Frame::Request, payload);
  if (!send_all(control_.get(), out)) {
    control_.reset();
    return std::unexpected(gone(doing));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kRequestTimeoutMs);
  char buf[16 * 1024];
  while (true) {
    while (true) {
      auto f = control_decoder_.next();
      if (!f) {
        control_.reset();
        return fail(Errc::Internal, "the monitor of " + what_ + " sent a bad frame: " + f.error().message);
      }
      if (!*f) break;
      // Output that came before the shim read our Control frame, or an Exited: not ours.
      if ((*f)->first != Frame::Reply) continue;
      auto reply = shimproto::Reply::decode((*f)->second);
      if (!reply) {
        control_.reset();
        return fail(Errc::Internal, "the monitor of " + what_ + " sent a bad reply: " + reply.error().message);
      }
      if (reply->id == request.id) return std::move(reply->outcome);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{control_.get(), POLLIN, 0};
    int n = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      control_.reset();
      return fail(Errc::Unavailable, "the monitor of " + what_ + " did not answer " + request.op + " within " +
                                         std::to_string(kRequestTimeoutMs / 1000) + " s");
    }
    ssize_t got = ::read(control_.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      control_.reset();
      return std::unexpected(gone(doing));
    }
    control_decoder_.feed(std::string_view(buf, static_cast<size_t>(got)));
  }
}

void ShimChannel::disconnect() {
  {
    std::lock_guard lk(exit_mu_);
    if (exit_delivered_) return;
    disconnected_ = true;
  }
  // Wakes the follower, which ends without on_exit; the shim sees us leave.
  std::lock_guard lk(write_mu_);
  ::shutdown(conn_.get(), SHUT_RDWR);
}

void ShimChannel::reap_shim() {
  std::lock_guard lk(reap_mu_);
  if (shim_pid_ <= 0) return;
  while (::waitpid(shim_pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  shim_pid_ = 0;
}

}  // namespace berth::task::detail
