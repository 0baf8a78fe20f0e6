// The namespace holder of a rootless berthd: one process per user that owns
// berthd's user, mount and network namespaces (and the network stack attached
// to them) and outlives berthd, so that a restarted berthd joins the same
// namespaces and its running containers keep their network, their mounts and
// their published ports (podman's pause process plays the same part).
//
// The holder serves a SOCK_SEQPACKET socket ($XDG_RUNTIME_DIR/berth/ns.sock).
// A starting berthd connects and asks with the network stack it wants:
//   request  "join <netstack>"
//   reply    "ok <netstack>" carrying the user, mount and network namespace
//            fds (in that order), or "retire" when the holder had nothing
//            running and another stack was asked for: it then goes away and
//            the daemon makes a new holder.
// berthd keeps its connection for its whole life. When the last one closes
// and no process is left in the holder's user namespace (no shim: no
// container), the holder ends, and its namespaces and network stack with it;
// while some are left, it waits on their pidfds and looks again when one ends.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "rootless/netstack.h"

namespace berth::rootless {

struct HeldNamespaces {
  UniqueFd conn;  // to the holder: kept open while berthd runs
  UniqueFd user, mnt, net;
  NetStack net_kind = NetStack::Pasta;
};

// The holder's reply, parsed (exposed for tests).
struct HolderReply {
  bool retire = false;
  NetStack net_kind = NetStack::Pasta;
};
Result<HolderReply> parse_holder_reply(std::string_view text);
// A request's network stack; InvalidArgument for anything else.
Result<NetStack> parse_join_request(std::string_view text);
std::string join_request(NetStack wanted);

// Joins the running holder at `socket_path`: nullopt when there is none (no
// socket, nobody listening, or it is going away), else its namespaces.
Result<std::optional<HeldNamespaces>> join_holder(const std::string& socket_path, NetStack wanted);

// What the holder needs to run (see boot.cc: it is forked by the outer
// process, mapped by it, and told the network stack's pid once it runs).
struct HolderSetup {
  std::string socket_path;
  NetStack net_kind = NetStack::Pasta;
  pid_t netstack_pid = 0;  // pasta's background process (ended with the holder); 0 for slirp4netns
};

// The holder's loop, in its namespaces with its mounts made: serves
// `listener` until the end described above. Never returns.
[[noreturn]] void serve_as_holder(UniqueFd listener, const HolderSetup& setup);

// The processes other than `self` and `except` in the user namespace whose
// inode is `userns_inode` (a scan of /proc), at most `limit` of them.
std::vector<pid_t> processes_in_user_namespace(ino_t userns_inode, pid_t self, pid_t except, size_t limit);

}  // namespace berth::rootless
