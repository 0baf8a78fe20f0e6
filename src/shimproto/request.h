// Requests from a daemon to a shim and their replies: Request and Reply
// frames on a connection that began with Control (see protocol.h). One JSON
// object each, the op's arguments beside "id" and "op":
//   {"id": 7, "op": "kill", "signal": 15}
//   {"id": 7, "result": null}
//   {"id": 7, "error": {"message": "...", "code": "Conflict"}}
//
// op        arguments                 result
// kill      "signal": N               null   the process (a container's init, or the exec's process)
// kill_all  "signal": N               null   every process of the container
// pause                               null   freezes the container's cgroup
// resume                              null   thaws it
// update    "resources": {...}        null   OCI linux.resources (what `berth-runtime update` reads)
// pids                                [N...] the container's processes (host pid namespace)
// stats                               {...}  the runtime's cgroup figures (runc's `events --stats`
//                                            data: cpu, memory, pids, blkio, hugetlb)
// reopen_log                          null   closes the container's log file and opens its path
//                                            again (the kubelet renamed it to rotate; CRI ReopenContainerLog)
//
// Errors carry the Errc word: Conflict once the process has exited,
// Unsupported for an op the shim does not answer (an exec's shim answers kill
// only; an op from a newer daemon), InvalidArgument for bad arguments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::shimproto {

namespace op {
inline constexpr std::string_view kKill = "kill";
inline constexpr std::string_view kKillAll = "kill_all";
inline constexpr std::string_view kPause = "pause";
inline constexpr std::string_view kResume = "resume";
inline constexpr std::string_view kUpdate = "update";
inline constexpr std::string_view kPids = "pids";
inline constexpr std::string_view kStats = "stats";
// {"mode": "v1"|"hybrid"|"v2", "unified": dir, "v1": {controller: dir}}: where
// the engine's sampler reads the container's cgroup files itself.
inline constexpr std::string_view kCgroupDirs = "cgroup_dirs";
inline constexpr std::string_view kReopenLog = "reopen_log";
}  // namespace op

struct Request {
  uint64_t id = 0;
  std::string op;
  nlohmann::json args = nlohmann::json::object();  // the fields beside id and op

  std::string encode() const;
  // InvalidArgument when it is not an object with an unsigned "id" and a string "op".
  static Result<Request> decode(std::string_view payload);
};

struct Reply {
  uint64_t id = 0;
  Result<nlohmann::json> outcome;  // the result, or the error the shim reported

  std::string encode() const;
  static Result<Reply> decode(std::string_view payload);
};

}  // namespace berth::shimproto
