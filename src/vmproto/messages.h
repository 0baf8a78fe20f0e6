// The JSON bodies of the vm agent protocol's frames (frame.h), as typed
// values. Every from_json checks types and ranges and returns an error value
// (never throws); to_json is its inverse.
//
// A session: the host connects, each side sends Hello, both pick the highest
// version in the overlap of their [min_version, version]. Then the host sends
// Requests on stream 0 ({"id": N, "op": "...", "args": {...}}) and the guest
// answers each with one Reply of the same id, in any order (a "wait" reply
// comes when the process exits). Requests and their args:
//
//   create   CreateContainer: mount the shares, create the container from its
//            OCI config (the container's init does not run user code yet);
//            its stdio is on `stream`. Result: {"pid": N} (a guest pid).
//   start    ContainerRef: run the created container's process.
//   exec     ExecProcess: a second process in a running container, on its
//            own stream. Result: {"pid": N}.
//   signal   SignalProcess: a signal to a stream's process (all=true: to
//            every process of that stream's container).
//   wait     WaitProcess: replies with the ExitStatus once the stream's
//            process has exited (at once if it has).
//   stats    ContainerRef: result ContainerStats (the container's cgroup
//            inside the guest, and the guest's memory).
//   pause / resume  ContainerRef: freeze / thaw the container's cgroup.
//   delete   ContainerRef: the container's processes are gone: drop its
//            state in the guest (cgroup, runtime state, share mounts).
//   network  NetworkConfig: address, bring up and route the guest's NICs.
//   mount    Share: mount a share for the VM's whole life (a VM pod's one
//            share, under which its containers' rootfs and volumes are).
//   shutdown {}: kill every process, sync, reply, then power the guest off.
//
// Output, Exited and stdin go on the process's stream (frame.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/errc_code.h"
#include "base/error.h"

namespace berth::vmproto {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr uint32_t kMinProtocolVersion = 1;

// The name of the virtio-serial port the agent talks on (the host gives it
// with -device virtserialport,name=...); the guest finds it under
// /sys/class/virtio-ports/*/name.
inline constexpr std::string_view kAgentPortName = "berth.agent";

// Parses a frame's payload as JSON (InvalidArgument naming `what` when it is not).
Result<nlohmann::json> parse_json(std::string_view payload, const char* what);
// Parses a frame's payload as the message T (Hello, Request, Reply, ...).
template <class T>
Result<T> parse_message(std::string_view payload, const char* what) {
  auto j = parse_json(payload, what);
  if (!j) return std::unexpected(std::move(j).error());
  return T::from_json(*j);
}
// Serializes a message body; never throws (invalid UTF-8 in a string becomes U+FFFD).
std::string dump_json(const nlohmann::json& j);

struct Hello {
  uint32_t version = kProtocolVersion;
  uint32_t min_version = kMinProtocolVersion;
  std::string software;  // "berth-vm-agent 0.1.0", "berthd 0.1.0"
  std::string kernel;    // the guest's uname -r (empty from the host)
  nlohmann::json to_json() const;
  static Result<Hello> from_json(const nlohmann::json& j);
};
// The version both sides speak: Unsupported when their ranges do not overlap.
Result<uint32_t> negotiate(const Hello& mine, const Hello& theirs);

struct Request {
  uint64_t id = 0;
  std::string op;
  nlohmann::json args = nlohmann::json::object();
  nlohmann::json to_json() const;
  static Result<Request> from_json(const nlohmann::json& j);
};

struct Reply {
  uint64_t id = 0;
  std::optional<Error> error;  // set: the request failed (code and message cross the wire)
  nlohmann::json result = nlohmann::json::object();
  nlohmann::json to_json() const;
  static Result<Reply> from_json(const nlohmann::json& j);
  static Reply ok(uint64_t id, nlohmann::json result = nlohmann::json::object());
  static Reply failed(uint64_t id, const Error& e);
};


struct TtySize {
  uint16_t rows = 0;
  uint16_t cols = 0;
  nlohmann::json to_json() const;  // {"h": rows, "w": cols}
  static Result<TtySize> from_json(const nlohmann::json& j);
};

// A host directory shared into the guest, mounted by the agent at `target`.
struct Share {
  std::string tag;                  // the virtio-fs tag or 9p mount_tag
  std::string fstype = "virtiofs";  // "virtiofs" or "9p"
  std::string target;               // absolute guest path
  bool readonly = false;
  nlohmann::json to_json() const;
  static Result<Share> from_json(const nlohmann::json& j);
};

struct CreateContainer {
  std::string id;          // the container's name in the guest ([A-Za-z0-9][A-Za-z0-9_.-]*)
  uint32_t stream = 0;     // the init process's stream (non-zero)
  nlohmann::json config;   // the OCI runtime config.json; root.path and mount sources are guest paths
  std::vector<Share> shares;  // mounted before the container is created, in order
  bool stdin_open = false; // the host will send Stdin (else the process's stdin is /dev/null)
  std::optional<TtySize> tty_size;  // initial size when config.process.terminal
  nlohmann::json to_json() const;
  static Result<CreateContainer> from_json(const nlohmann::json& j);
};

struct ContainerRef {
  std::string id;
  nlohmann::json to_json() const;
  static Result<ContainerRef> from_json(const nlohmann::json& j);
};

struct ExecProcess {
  std::string container;
  uint32_t stream = 0;
  nlohmann::json process;  // an OCI "process" object (args, env, cwd, user, terminal, capabilities, ...)
  bool stdin_open = false;
  std::optional<TtySize> tty_size;
  nlohmann::json to_json() const;
  static Result<ExecProcess> from_json(const nlohmann::json& j);
};

struct SignalProcess {
  uint32_t stream = 0;
  int signal = 0;    // 1..64
  bool all = false;  // every process of the stream's container
  nlohmann::json to_json() const;
  static Result<SignalProcess> from_json(const nlohmann::json& j);
};

struct WaitProcess {
  uint32_t stream = 0;
  nlohmann::json to_json() const;
  static Result<WaitProcess> from_json(const nlohmann::json& j);
};

struct ExitStatus {
  int exit_code = 0;  // 128+N when killed by signal N
  int signal = 0;     // N when killed by a signal
  bool oom_killed = false;
  nlohmann::json to_json() const;
  static Result<ExitStatus> from_json(const nlohmann::json& j);
};

struct ContainerStats {
  uint64_t cpu_usage_ns = 0, cpu_user_ns = 0, cpu_system_ns = 0;
  uint64_t system_cpu_ns = 0;  // the guest's total CPU time (/proc/stat), for Docker's CPU percentage
  uint32_t online_cpus = 0;
  uint64_t memory_usage = 0, memory_limit = 0, memory_max_usage = 0;
  std::map<std::string, uint64_t> memory_stat;  // the cgroup's memory.stat
  uint64_t pids_current = 0, pids_limit = 0;
  uint64_t guest_mem_total = 0, guest_mem_available = 0;  // bytes, /proc/meminfo
  nlohmann::json to_json() const;
  static Result<ContainerStats> from_json(const nlohmann::json& j);
};

struct Interface {
  std::string mac;                     // aa:bb:cc:dd:ee:ff: which guest NIC
  std::vector<std::string> addresses;  // CIDR, e.g. "10.223.0.2/16"
  uint32_t mtu = 0;                    // 0: leave as is
  // "" = keep; else the NIC takes this MAC before it goes up (a pooled VM's
  // NIC was made before its container, whose MAC Docker reports).
  std::string set_mac;
  nlohmann::json to_json() const;
  static Result<Interface> from_json(const nlohmann::json& j);
};

struct Route {
  std::string destination;  // CIDR; "0.0.0.0/0" for the default route
  std::string gateway;      // an address on one of the interfaces' subnets
  nlohmann::json to_json() const;
  static Result<Route> from_json(const nlohmann::json& j);
};

struct NetworkConfig {
  std::vector<Interface> interfaces;
  std::vector<Route> routes;
  nlohmann::json to_json() const;
  static Result<NetworkConfig> from_json(const nlohmann::json& j);
};

}  // namespace berth::vmproto

namespace berth::vmproto {

// The host's side of the handshake on a connected fd (blocking): sends its
// Hello, reads the agent's (the first frame must be one) and returns it with
// the negotiated version. The host speaks first: a virtio-serial port drops
// what the guest writes while no host is connected, but holds what the host
// writes until the guest opens the port.
struct Handshake {
  Hello peer;
  uint32_t version = 0;
};
Result<Handshake> host_handshake(int fd, const Hello& mine);
// The guest's side: reads the host's Hello (first frame), answers with its own.
Result<Handshake> guest_handshake(int fd, const Hello& mine);

}  // namespace berth::vmproto
