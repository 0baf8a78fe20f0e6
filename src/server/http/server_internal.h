// State shared by the accept loop and the connection threads. Connection
// threads hold it by shared_ptr, so a Server may be destroyed while the
// last answers are still being written.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "server/http/server.h"

namespace berth::server {

struct ServerShared {
  Router router;
  ServerOptions opts;
  // Common headers in wire form, "Name: value\r\n" each, built once.
  std::string common_headers;
  std::vector<std::pair<std::string, std::string>> common_header_list;

  // Connections by fd; true while waiting for the next request. stop()
  // shuts idle ones down; busy ones close after their answer.
  std::mutex mu;
  bool stopping = false;
  std::unordered_map<int, bool> connections;
};

// Serves one accepted connection until it closes, is hijacked or the server
// stops. Runs on its own thread.
void serve_connection(std::shared_ptr<ServerShared> shared, UniqueFd fd);

}  // namespace berth::server
