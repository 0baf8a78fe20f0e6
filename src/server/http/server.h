// berthd's HTTP/1.1 server (Boost.Beast, synchronous, each open connection
// served by a worker of a pool) on UNIX sockets (and TCP when asked for).
// Handlers see a Request and a ResponseWriter and never Beast: the writer can answer at once,
// stream a chunked body (events, logs -f, stats), or hijack the connection
// (attach, exec start) after a 101 UPGRADED / 200 answer.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::server {

struct Request {
  std::string method;  // "GET", "HEAD", "POST", "PUT", "DELETE"
  std::string path;    // without the "/v1.NN" prefix and without the query: "/containers/abc/json"
  std::string raw_target;
  int api_minor = 41;  // from "/v1.NN/..."; the server's default when unversioned
  bool versioned = false;
  std::multimap<std::string, std::string> query;  // decoded; repeated keys kept
  std::map<std::string, std::string> headers;     // keys lower-case
  std::vector<std::string> params;                // filled by the router: the {name} parts, in order
  std::string route;                              // filled by the router: the matched pattern ("" when none)

  std::optional<std::string> q(const std::string& key) const;  // first value
  // Docker's BoolValueOrDefault: absent -> dflt; "", "0", "no", "false",
  // "none" (any case) -> false; anything else -> true.
  bool q_bool(const std::string& key, bool dflt = false) const;
  std::optional<int64_t> q_int(const std::string& key) const;   // absent or not a number: nullopt
  std::string header(const std::string& lower_key) const;       // "" when absent

  // The body. Small bodies (JSON) are read whole on demand; large ones (tar
  // uploads: load, import, archive PUT) should be streamed with read_some.
  // Both handle chunked transfer encoding. read_some returns 0 at the end.
  std::function<Result<std::string>()> read_all;
  std::function<Result<size_t>(char* buf, size_t len)> read_some;
  // Empty body -> {}; malformed JSON -> InvalidArgument with Go's words
  // ("invalid character 'x' looking for beginning of object key string").
  Result<nlohmann::json> json_body() const;
};

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // A complete response. Content-Length is set; HEAD gets no body.
  virtual Result<void> send(int status, std::string_view content_type, std::string_view body,
                            const std::map<std::string, std::string>& headers = {}) = 0;
  Result<void> json(int status, const nlohmann::json& body);
  // JSON {"message": ...} with the status that error code maps to (see status_for).
  Result<void> error(const Error& e);

  // Streaming: headers with chunked encoding, then any number of chunks
  // (each flushed at once), then end. A failed write means the client left.
  virtual Result<void> begin_stream(int status, std::string_view content_type,
                                    const std::map<std::string, std::string>& headers = {}) = 0;
  virtual Result<void> write_chunk(std::string_view data) = 0;
  virtual Result<void> end_stream() = 0;

  // Takes over the connection. If the request asked "Upgrade: tcp" the
  // answer is "101 UPGRADED" (Connection: Upgrade, Upgrade: tcp), else
  // "200 OK" without a length; content_type is
  // "application/vnd.docker.raw-stream" or
  // "application/vnd.docker.multiplexed-stream". Returns the raw socket
  // (blocking); the caller owns it and closes it when done. Bytes the client
  // sent after its request, already buffered, are returned in `buffered`.
  struct Hijacked {
    UniqueFd fd;
    std::string buffered;
  };
  virtual Result<Hijacked> hijack(std::string_view content_type) = 0;

  virtual bool responded() const = 0;
  // The client's socket, to notice it closing while streaming (poll for POLLIN/POLLHUP).
  virtual int client_fd() const = 0;
};

// Errc -> HTTP status: NotFound 404, AlreadyExists/Conflict 409,
// InvalidArgument 400, PermissionDenied 403, Unsupported 501, Unavailable 503,
// Internal 500.
int status_for(Errc code);

// A route's handler answers through the writer and returns an error as a
// value: the server sends it (with status_for's status) when nothing was
// answered yet, so routes never map codes to statuses themselves.
using Handler = std::function<Result<void>(Request&, ResponseWriter&)>;

// Runs a handler and answers the error it returns when it has not answered
// yet: the one place where an error code becomes an HTTP status.
void run_handler(const Handler& handler, Request& req, ResponseWriter& w);

// Method + path pattern. Segments are literals, "{name}" (exactly one
// segment, percent-decoded: container names and ids) or at most one
// "{name...}" spanning one or more segments, slashes included, which may be
// followed by fixed segments: "/images/{name...}/json" matches
// "/images/localhost:5000/a/b:c/json" with the parameter
// "localhost:5000/a/b:c"; "/images/{name...}" alone takes the whole rest.
// Routes are tried in the order added; the first match wins. HEAD falls back
// to the GET route when no HEAD route matches (the writer then sends no body).
// Unknown path: 404 {"message":"page not found"}; known path, other method: 405.
// A malformed pattern is a programming error: add() aborts with a message.
class Router {
 public:
  void add(std::string method, std::string pattern, Handler h);
  // Finds the handler and fills req.params; nullptr when none.
  const Handler* match(Request& req, bool* path_known) const;

 private:
  struct Segment {
    enum class Kind { Literal, Param, Rest } kind;
    std::string text;  // the literal (unused for parameters)
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    int rest = -1;  // index of the "{name...}" segment, -1 when none
    Handler handler;
  };
  bool match_route(const Route& r, const std::vector<std::string_view>& path,
                   std::vector<std::string>* params) const;
  std::vector<Route> routes_;
};

struct ServerOptions {
  int min_api_minor = 24;  // "client version 1.NN is too old. Minimum supported API version is 1.24, ..."
  int max_api_minor = 41;  // "client version 1.NN is too new. Maximum supported API version is 1.41"
  // Added to every response. Defaults, each replaced by an entry of the same
  // name here: Api-Version: 1.<max_api_minor>, Docker-Experimental: false,
  // Ostype: linux, Server: berth (linux).
  std::map<std::string, std::string> common_headers;
  // Called after each request is answered (or its connection hijacked),
  // on the connection's thread: the request (route = the matched pattern),
  // the status sent and the seconds from its headers to the end of its
  // answer. For /metrics' API request counters.
  std::function<void(const Request& req, int status, double seconds)> on_answered;
};

class Server {
 public:
  Server(Router router, ServerOptions opts);
  ~Server();
  // Listens on "unix:///path" (socket file replaced, chmod mode, chown to
  // root:group when the group exists) or "tcp://host:port". May be called
  // several times before run().
  Result<void> listen(const std::string& address, mode_t mode = 0660, const std::string& group = "berth");
  // Accepts and serves until stop() (from any thread or a signal handler's
  // helper thread). Connections in progress finish on their own threads.
  Result<void> run();
  // Async-signal-safe (one write to a pipe): run() then stops accepting,
  // closes idle keep-alive connections and returns; requests in progress
  // finish on their threads, and their connections close after the answer.
  void stop();
  // What listen() bound, e.g. "unix:///run/berth/berth.sock",
  // "tcp://127.0.0.1:41234" (the real port when asked for port 0).
  std::vector<std::string> addresses() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::server
