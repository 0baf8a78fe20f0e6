// The guest agent's work once the guest is up: it serves the host's requests
// (vmproto) on one channel, runs containers with berth's runtime library
// (namespaces, cgroups, capabilities, seccomp, as for a plain container),
// relays their stdio, terminal size and signals, reports exit statuses and
// reaps every child (it is PID 1 in a guest). Single-threaded: one epoll loop
// over the channel, a signalfd (SIGCHLD) and the processes' stdio fds.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "vmagent/channel.h"
#include "vmproto/messages.h"

namespace berth::vmagent {

// A process's end of its stdio, as the agent relays it (with a terminal, `out`
// is the pty master and `in` a duplicate of it).
struct ProcIo {
  UniqueFd out, err, in;
  bool tty = false;
};

struct AgentOptions {
  std::string runtime_root = "/run/berth-vm/runtime";  // the runtime library's state
  std::string state_root = "/run/berth-vm/state";      // bundles and per-process dirs
  std::string software = "berth-vm-agent";
  // A socket's EOF is final (tests, --channel-fd); a virtio-serial port's is
  // not: the host may connect again (a restarted daemon).
  bool exit_on_disconnect = false;
  // What "shutdown" does after everything is stopped (the guest powers off;
  // tests just return from run()).
  std::function<void()> power_off;
};

class Agent {
 public:
  Agent(int channel_fd, AgentOptions opts);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Serves until shutdown (or, with exit_on_disconnect, until the host leaves).
  Result<void> run();

 private:
  struct Proc;
  struct Container;

  void on_channel();
  void on_frame(vmproto::FrameData f);
  void on_request(const vmproto::Request& r);
  Result<nlohmann::json> handle(const vmproto::Request& r);
  Result<nlohmann::json> create(const vmproto::CreateContainer& c);
  Result<nlohmann::json> start(const vmproto::ContainerRef& c);
  Result<nlohmann::json> exec(const vmproto::ExecProcess& e);
  Result<nlohmann::json> signal(const vmproto::SignalProcess& s);
  Result<nlohmann::json> stats(const vmproto::ContainerRef& c);
  Result<nlohmann::json> remove(const vmproto::ContainerRef& c);
  Result<void> shutdown();

  Result<void> register_proc(uint32_t stream, const std::string& container, pid_t pid, ProcIo io,
                             std::optional<vmproto::TtySize> size);
  enum class ReadResult { Data, Again, Eof };
  ReadResult read_output(Proc& p, bool is_out);
  void end_output(Proc& p, bool is_out);
  void on_proc_stdin_writable(Proc& p);
  void write_stdin(Proc& p, std::string_view data);
  void close_stdin(Proc& p);
  void resize(Proc& p, const std::string& payload);
  void reap();
  void finish(Proc& p, int wait_status);
  void drop_fd(Proc& p, UniqueFd& fd);
  Proc* proc_by_stream(uint32_t stream);
  Container* container(const std::string& id);
  std::string proc_dir(uint32_t stream) const;

  int channel_fd_;
  AgentOptions opts_;
  Channel channel_;
  UniqueFd epoll_, sigfd_;
  std::map<uint32_t, std::unique_ptr<Proc>> procs_;  // by stream
  std::map<std::string, std::unique_ptr<Container>> containers_;
  std::map<int, uint32_t> fd_owner_;                 // stdio fd -> stream
  bool stop_ = false;
  std::optional<uint64_t> shutdown_reply_;
};

}  // namespace berth::vmagent
