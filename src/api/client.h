// The Docker Engine API client the `berth` CLI uses (Boost.Beast,
// synchronous) over a UNIX socket or TCP. Negotiates the API version as
// Docker's CLI does: HEAD /_ping, then /v1.NN/ with NN = min(41, server's).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::api {

// DOCKER_HOST / BERTH_HOST / -H forms: "unix:///run/berth/berth.sock",
// "/run/berth/berth.sock", "tcp://127.0.0.1:2375".
struct Endpoint {
  enum class Kind { Unix, Tcp } kind = Kind::Unix;
  std::string path;  // unix
  std::string host;  // tcp
  int port = 0;
  static Result<Endpoint> parse(std::string_view address);
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // keys lower-case
  std::string body;
  // The daemon's message for an error status: JSON "message" or the raw body.
  std::string error_message() const;
  Result<nlohmann::json> json() const;
};

class Client {
 public:
  // Connects lazily; Unavailable (with the address in the message) when the
  // daemon is not there. negotiate(): HEAD /_ping once per Client (the CLI
  // makes one per process).
  static Result<std::unique_ptr<Client>> create(const Endpoint& ep);
  virtual ~Client();

  // Called by the first request when the caller did not.
  Result<void> negotiate();
  int api_minor() const;
  // "unix:///run/berth/berth.sock", "tcp://127.0.0.1:2375": for messages.
  const std::string& address() const;

  // A request with a small body; the reply read whole. `path` is unversioned
  // ("/containers/json?all=1"): the client adds /v1.NN.
  Result<Response> request(std::string_view method, std::string_view path,
                           std::string_view body = {}, std::string_view content_type = "application/json",
                           const std::map<std::string, std::string>& headers = {});
  Result<Response> post_json(std::string_view path, const nlohmann::json& body);

  // Uploads the body from fd (streamed, chunked) — load, import, archive PUT;
  // progress(bytes_sent) is called as it goes.
  // When the daemon answers before taking the whole body (an error), that
  // answer is returned.
  Result<Response> upload(std::string_view method, std::string_view path, int body_fd,
                          std::string_view content_type,
                          const std::function<void(uint64_t)>& progress = {},
                          const std::map<std::string, std::string>& headers = {});

  // The same, with the reply streamed to on_data as stream() does (build:
  // the context goes up, the build's log comes back as it is written).
  Result<Response> upload_stream(std::string_view method, std::string_view path, int body_fd,
                                 std::string_view content_type,
                                 const std::function<bool(std::string_view)>& on_data,
                                 const std::map<std::string, std::string>& headers = {});

  // Streams the reply body: on_data is called with each piece as it arrives;
  // return false to stop reading (the connection is then dropped). Only a
  // success status (< 400) streams: an error's body is read whole into the
  // returned Response (status, headers and error_message() as usual).
  // For events, logs -f, stats, save/export (large bodies), JSON progress.
  // A non-empty body is sent as application/json; headers are added
  // (X-Registry-Auth for pull/push).
  Result<Response> stream(std::string_view method, std::string_view path, std::string_view body,
                          const std::function<bool(std::string_view)>& on_data,
                          const std::map<std::string, std::string>& headers = {});

  // POST with "Upgrade: tcp"; on 101 (or 200) returns the raw connection
  // (blocking fd) plus any bytes that arrived with the headers. Any other
  // status is an Error with errc_for_status(status) and the daemon's message;
  // last_status() tells the status itself.
  struct Hijacked {
    UniqueFd fd;
    std::string buffered;
  };
  Result<Hijacked> hijack(std::string_view path, std::string_view body = "{}");
  int last_status() const;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// HTTP status -> Errc (404 NotFound, 409 Conflict, 400 InvalidArgument,
// 403 PermissionDenied, 501 Unsupported, 503 Unavailable, else Internal).
Errc errc_for_status(int status);

// Splits Docker's multiplexed stream (8-byte headers): feed bytes, get
// (stream, payload) pieces. stream: 0 stdin, 1 stdout, 2 stderr, 3 system error.
class StreamDemux {
 public:
  void feed(std::string_view bytes, const std::function<void(int stream, std::string_view)>& out);

 private:
  std::string buf_;
};

}  // namespace berth::api
