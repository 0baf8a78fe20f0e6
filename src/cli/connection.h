// Where the daemon is (-H, BERTH_HOST, DOCKER_HOST, the default socket), and
// starting berthd on demand: when the default socket is absent, the CLI spawns
// berthd detached and waits for its "READY" line on a pipe. The default
// socket is root's /run/berth/berth.sock, or for any other user its rootless
// daemon's $XDG_RUNTIME_DIR/berth.sock (docs/rootless.md).
#pragma once

#include <string>

#include "api/client.h"
#include "base/error.h"

namespace berth::cli {

inline constexpr const char* kDefaultHost = "unix:///run/berth/berth.sock";
inline constexpr const char* kDefaultSocket = "/run/berth/berth.sock";

// This user's default socket path and its unix:// address (see above).
std::string default_socket();
std::string default_host();

// The address to use: flag, then $BERTH_HOST, then $DOCKER_HOST, then default.
std::string resolve_host(const std::string& flag);

// When `host` is the default socket and it does not exist: as root, start
// berthd and wait until it listens; otherwise an error telling how to start it.
Result<void> ensure_daemon(const std::string& host);

}  // namespace berth::cli
