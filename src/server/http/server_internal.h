// State shared by the accept loop and the connection threads. Connection
// threads hold it by shared_ptr, so a Server may be destroyed while the
// last answers are still being written.
#pragma once

#include <condition_variable>
#include <deque>
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

  // The worker pool (guarded by mu): accepted connections wait in `queue`
  // for an idle worker, and a new worker starts when none is idle. Workers
  // outlive their connections: a thread per connection paid for its stack's
  // pages on every request, since glibc discards them when a thread ends.
  std::condition_variable work_cv;
  std::deque<int> queue;
  size_t idle_workers = 0;
  size_t busy_workers = 0;
  bool trimmed = true;  // malloc_trim ran since the last connection ended
};

// Serves one accepted connection until it closes, is hijacked or the server
// stops. Runs on a worker of the pool.
void serve_connection(std::shared_ptr<ServerShared> shared, UniqueFd fd);

}  // namespace berth::server
