#include "kubestream/remote_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include <nlohmann/json.hpp>

namespace berth::kubestream {

int remote_command_version(std::string_view name) {
  if (name == "channel.k8s.io" || name == "base64.channel.k8s.io") return 1;
  if (name == "v2.channel.k8s.io") return 2;
  if (name == "v3.channel.k8s.io") return 3;
  if (name == "v4.channel.k8s.io" || name == "v4.base64.channel.k8s.io") return 4;
  if (name == "v5.channel.k8s.io") return 5;
  return 0;
}

const std::vector<std::string>& spdy_remote_command_protocols() {
  static const std::vector<std::string> names = {"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io",
                                                 "channel.k8s.io"};
  return names;
}

std::string status_message(const Result<int>& result, int version) {
  if (version >= 4) {
    nlohmann::json status = {{"metadata", nlohmann::json::object()}};
    if (result && *result == 0) {
      status["status"] = "Success";
    } else if (result) {
      status["status"] = "Failure";
      status["message"] = "command terminated with non-zero exit code: exit status " + std::to_string(*result);
      status["reason"] = "NonZeroExitCode";
      status["details"] = {{"causes", {{{"reason", "ExitCode"}, {"message", std::to_string(*result)}}}}};
    } else {
      std::string why = "error executing command in container: " + result.error().str();
      status["status"] = "Failure";
      status["message"] = "Internal error occurred: " + why;
      status["reason"] = "InternalError";
      status["details"] = {{"causes", {{{"message", why}}}}};
      status["code"] = 500;
    }
    return status.dump();
  }
  if (result && *result == 0) return "";
  if (result) return "command terminated with non-zero exit code: exit status " + std::to_string(*result);
  return "error executing command in container: " + result.error().str();
}

void ResizeDecoder::data(std::string_view bytes) {
  // Splits the stream into top-level JSON objects by brace depth (strings
  // respected), then reads each whole object.
  for (char c : bytes) {
    if (depth_ == 0 && c != '{') continue;  // whitespace between objects
    pending_ += c;
    if (in_string_) {
      if (escaped_) escaped_ = false;
      else if (c == '\\') escaped_ = true;
      else if (c == '"') in_string_ = false;
      continue;
    }
    if (c == '"') in_string_ = true;
    else if (c == '{') ++depth_;
    else if (c == '}' && --depth_ == 0) {
      auto j = nlohmann::json::parse(pending_, nullptr, false);
      pending_.clear();
      if (j.is_object() && j.contains("Width") && j.contains("Height") && j["Width"].is_number_unsigned() &&
          j["Height"].is_number_unsigned()) {
        on_size_(j["Height"].get<unsigned>(), j["Width"].get<unsigned>());
      }
    }
    if (pending_.size() > 4096) {  // no size message is that long: resynchronise
      pending_.clear();
      depth_ = 0;
    }
  }
}

void ResizeDispatcher::set_handler(ResizeHandler handler) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  handler_ = std::move(handler);
  if (handler_ && pending_) {
    handler_(pending_->first, pending_->second);
    pending_.reset();
  }
}

void ResizeDispatcher::deliver(unsigned rows, unsigned cols) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  if (handler_) {
    handler_(rows, cols);
  } else {
    pending_ = {rows, cols};
  }
}

void ResizeDispatcher::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  handler_ = nullptr;
}

CommandOptions command_options(const CommandRequest& req) {
  return std::visit(
      [](const auto& r) { return CommandOptions{r.stdin_, r.stdout_, r.stderr_ && !r.tty, r.tty}; }, req);
}

namespace {
Result<std::pair<UniqueFd, UniqueFd>> make_pipe(const char* what) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return fail_errno(std::string("creating the ") + what + " pipe");
  return std::pair{UniqueFd(p[0]), UniqueFd(p[1])};
}
}  // namespace

RemoteCommandSession::RemoteCommandSession(StreamRuntime& runtime, CommandRequest req, int version)
    : runtime_(runtime), req_(std::move(req)), opts_(command_options(req_)), version_(version),
      resize_decoder_([this](unsigned rows, unsigned cols) { resize_.deliver(rows, cols); }) {}

RemoteCommandSession::~RemoteCommandSession() { stdin_writer_.stop(); }

Result<std::unique_ptr<RemoteCommandSession>> RemoteCommandSession::create(StreamRuntime& runtime, CommandRequest req,
                                                                           int version) {
  std::unique_ptr<RemoteCommandSession> s(new RemoteCommandSession(runtime, std::move(req), version));
  if (s->opts_.stdin_) {
    auto [r, w] = TRY(make_pipe("stdin"));
    s->stdin_r_ = std::move(r);
    s->stdin_w_ = std::move(w);
    // Client data is written as it comes; its end of stdin closes the pipe.
    s->stdin_writer_.start(s->stdin_w_.get(), [raw = s.get()] { raw->stdin_w_.reset(); });
  }
  if (s->opts_.stdout_) {
    auto [r, w] = TRY(make_pipe("stdout"));
    s->stdout_r_ = std::move(r);
    s->stdout_w_ = std::move(w);
  }
  if (s->opts_.stderr_) {
    auto [r, w] = TRY(make_pipe("stderr"));
    s->stderr_r_ = std::move(r);
    s->stderr_w_ = std::move(w);
  }
  return s;
}

void RemoteCommandSession::run(std::shared_ptr<OutStream> out, std::shared_ptr<OutStream> err,
                               std::shared_ptr<OutStream> error) {
  std::thread out_pump, err_pump;
  // A pump that ends early (the client left) closes its pipe, so the command
  // gets EPIPE instead of blocking on a full pipe nobody reads.
  if (stdout_r_.valid() && out) out_pump = std::thread([&] { pump(stdout_r_.get(), *out, &stop_output_); stdout_r_.reset(); });
  if (stderr_r_.valid() && err) err_pump = std::thread([&] { pump(stderr_r_.get(), *err, &stop_output_); stderr_r_.reset(); });

  StreamIo io{std::move(stdin_r_), std::move(stdout_w_), std::move(stderr_w_),
              UniqueFd(::fcntl(client_gone_.fd(), F_DUPFD_CLOEXEC, 0))};
  SetResize set_resize = [this](ResizeHandler h) { resize_.set_handler(std::move(h)); };
  Result<int> result = std::visit(
      [&](const auto& r) -> Result<int> {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, ExecRequest>) {
          return runtime_.exec(r.container_id, r.cmd, r.tty, std::move(io), set_resize);
        } else {
          return runtime_.attach(r.container_id, r.tty, std::move(io), set_resize);
        }
      },
      req_);
  resize_.close();
  // Whatever the command wrote is in the pipes now: copy it, then end.
  stop_output_.fire();
  if (out_pump.joinable()) out_pump.join();
  if (err_pump.joinable()) err_pump.join();
  stdout_r_.reset();
  stderr_r_.reset();
  if (out) out->close();
  if (err) err->close();
  if (error) {
    std::string msg = status_message(result, version_);
    if (!msg.empty()) (void)error->write(msg);
    error->close();
  }
  stdin_writer_.stop();
}

void RemoteCommandSession::client_gone() {
  stdin_writer_.eof();
  stop_output_.fire();
  client_gone_.fire();
}

}  // namespace berth::kubestream
