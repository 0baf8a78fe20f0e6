// Kubernetes' remote-command protocol (exec, attach), independent of the
// transport: which protocol versions exist and what each sends on the error
// stream, the terminal-size messages, and a session that runs the command
// through the StreamRuntime with pipes pumped to and from the client.
//
// Versions (X-Stream-Protocol-Version for SPDY; the WebSocket subprotocol):
//   channel.k8s.io (v1), v2.channel.k8s.io: the error stream carries a text message;
//   v3.channel.k8s.io: adds the resize stream;
//   v4.channel.k8s.io: the error stream carries a metav1.Status (JSON), with the exit code;
//   v5.channel.k8s.io (WebSocket only): v4 plus the close-channel signal (stdin half-close).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kubestream/stream_io.h"
#include "kubestream/stream_server.h"

namespace berth::kubestream {

// The protocol versions as numbers 1..5 (1 = channel.k8s.io).
int remote_command_version(std::string_view name);  // 0 when not a remote-command protocol name
// The SPDY names the server accepts, preferred first.
const std::vector<std::string>& spdy_remote_command_protocols();

// What goes on the error stream for the runtime's result: v4/v5 a Status
// JSON (Success; Failure NonZeroExitCode with the ExitCode cause; Failure
// InternalError for a runtime error), v1-v3 the failure's message as text
// and nothing on success.
std::string status_message(const Result<int>& result, int version);

// The terminal-size messages: a stream of JSON objects {"Width":W,"Height":H}.
// Feeds each complete object to `on_size(rows, cols)`.
class ResizeDecoder : public InSink {
 public:
  explicit ResizeDecoder(std::function<void(unsigned rows, unsigned cols)> on_size) : on_size_(std::move(on_size)) {}
  void data(std::string_view bytes) override;
  void eof() override {}

 private:
  std::function<void(unsigned, unsigned)> on_size_;
  std::string pending_;
  int depth_ = 0;
  bool in_string_ = false, escaped_ = false;
};

// Hands terminal sizes to the runtime's handler, keeping the latest one for
// a handler that registers later; nothing is delivered after close().
class ResizeDispatcher {
 public:
  void set_handler(ResizeHandler handler);
  void deliver(unsigned rows, unsigned cols);
  void close();

 private:
  std::mutex mu_;
  ResizeHandler handler_;
  std::optional<std::pair<unsigned, unsigned>> pending_;
  bool closed_ = false;
};

using CommandRequest = std::variant<ExecRequest, AttachRequest>;

struct CommandOptions {
  bool stdin_ = false, stdout_ = false, stderr_ = false, tty = false;
};
CommandOptions command_options(const CommandRequest& req);

// One exec or attach: created when the connection is upgraded (so client
// data that arrives early is queued), run once the streams exist.
class RemoteCommandSession {
 public:
  static Result<std::unique_ptr<RemoteCommandSession>> create(StreamRuntime& runtime, CommandRequest req, int version);
  ~RemoteCommandSession();

  const CommandOptions& options() const { return opts_; }
  int version() const { return version_; }
  InSink* stdin_sink() { return opts_.stdin_ ? &stdin_writer_ : nullptr; }
  InSink* resize_sink() { return opts_.tty ? &resize_decoder_ : nullptr; }

  // Runs the command, pumping its output to out/err (null when not asked),
  // then writes the status to `error` and closes the streams. Blocks.
  void run(std::shared_ptr<OutStream> out, std::shared_ptr<OutStream> err, std::shared_ptr<OutStream> error);
  // The client is gone: stdin ends, output is no longer copied.
  void client_gone();

 private:
  RemoteCommandSession(StreamRuntime& runtime, CommandRequest req, int version);

  StreamRuntime& runtime_;
  CommandRequest req_;
  CommandOptions opts_;
  int version_;
  UniqueFd stdin_w_, stdout_r_, stderr_r_;        // the server's ends
  UniqueFd stdin_r_, stdout_w_, stderr_w_;        // the runtime's ends, handed over in run()
  FdWriter stdin_writer_;
  ResizeDispatcher resize_;
  ResizeDecoder resize_decoder_;
  Wakeup stop_output_;
  Wakeup client_gone_;  // handed to the runtime (StreamIo::client_gone)
};

}  // namespace berth::kubestream
