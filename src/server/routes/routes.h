// berthd's API routes by area; each adds its handlers to the router and
// talks only to the engine's interface.
#pragma once

#include "engine/engine.h"
#include "server/http/server.h"

namespace berth::server {

void add_container_routes(Router& r, engine::Engine& e);
void add_exec_routes(Router& r, engine::Engine& e);
void add_network_routes(Router& r, engine::Engine& e);
struct SystemInfo {
  std::string version;     // berth's version
  std::string data_root;
  std::string exec_root;
  bool debug = false;
};
void add_system_routes(Router& r, engine::Engine& e, const SystemInfo& info,
                       std::function<Result<nlohmann::json>()> df_images);

// Helpers shared by the route files.
void reply(ResponseWriter& w, const Result<void>& r, int ok_status);
nlohmann::json parse_filters(const Request& req);  // the `filters` query parameter, {} when absent

}  // namespace berth::server
