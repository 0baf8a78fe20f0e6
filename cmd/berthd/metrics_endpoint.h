// berthd --metrics-addr: Prometheus' /metrics on its own TCP listener,
// apart from the Docker API's sockets (as dockerd's metrics-addr).
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "engine/engine.h"
#include "server/http/server.h"

namespace berthd {

// Listening on addr ("host:port", validated by the daemon config) and ready
// to run(); every other path answers 404.
berth::Result<std::unique_ptr<berth::server::Server>> start_metrics_server(const std::string& addr,
                                                                           berth::engine::Engine& engine);

}  // namespace berthd
