// What every command gets: the global options, a lazily connected API
// client, and the process's terminal facts. Commands return their exit
// status; errors they return are printed once by the dispatcher (exit 1).
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "api/client.h"
#include "base/error.h"
#include "cli/template.h"

namespace berth::cli {

struct GlobalOptions {
  std::string host;
  bool debug = false;
  std::string log_level = "info";
};

class Cli {
 public:
  GlobalOptions global;

  // Connects (starting berthd when allowed, see connection.h) on first use.
  Result<api::Client*> client();

  // Requests that fail on an error status with "Error response from daemon: ...".
  Result<api::Response> call(std::string_view method, std::string_view path, std::string_view body = {});
  Result<api::Response> post(std::string_view path, const Json& body);
  // The reply parsed as JSON, preserving the daemon's key order.
  Result<Json> get_json(std::string_view path);

 private:
  std::unique_ptr<api::Client> client_;
};

// "Error response from daemon: <message>" for an error status, else the response.
Result<api::Response> check(api::Response r);
Error daemon_error(const api::Response& r);

// Writes all of `data` to fd (retries on EINTR and short writes).
bool write_all(int fd, std::string_view data);
inline void out(std::string_view s) { write_all(1, s); }
inline void err(std::string_view s) { write_all(2, s); }
template <class... Args>
void outf(fmt::format_string<Args...> f, Args&&... args) {
  out(fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void errf(fmt::format_string<Args...> f, Args&&... args) {
  err(fmt::format(f, std::forward<Args>(args)...));
}

// Docker's prune prompt: the warning, "Are you sure you want to continue? [y/N] " on stderr,
// then a line from stdin; true for "y" or "Y".
bool confirm_prompt(const std::string& warning);

// Percent-encodes all but RFC 3986's unreserved characters: one path segment
// or query value of a request ("a b/c" -> "a%20b%2Fc").
std::string url_encode(std::string_view s);

// Unix seconds now (for "2 minutes ago").
int64_t unix_now();

}  // namespace berth::cli
