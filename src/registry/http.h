// HTTP(S) for the registry client, over libcurl. One Http per daemon: its
// connection cache is shared by every request (so a pull's manifest, config
// and layers reuse connections), guarded for use from several threads.
//
// Errors: a request that got no HTTP answer is Unavailable with a message in
// Docker's words where Docker has them ("connection refused", "x509:
// certificate signed by unknown authority"); an answer of any status is a
// Response, and the caller decides what the status means.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sys/types.h>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::registry {

struct TlsOptions {
  bool verify = true;       // false: skip_verify / an insecure registry over https
  std::vector<std::string> ca_files;  // extra CA bundles (PEM), beside the system's
  std::string client_cert;  // PEM client certificate and its key
  std::string client_key;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when non-empty (or for PUT/POST/PATCH)
  // A large body (a layer): read from here instead, body_size bytes; return
  // the bytes put in buf (0 at the end), or -1 to abort the request.
  std::function<ssize_t(char* buf, size_t len)> body_source;
  uint64_t body_size = 0;
  bool body_chunked = false;  // body_source's length is not known: Transfer-Encoding: chunked
  // Back to the body's first byte, so the request can be sent again (after a
  // refused token); without it a request with a body_source is sent once.
  std::function<bool()> body_rewind;
  std::optional<uint64_t> range_from;  // "Range: bytes=N-"; a server that ignores it (200) has its first N bytes dropped
  bool follow_redirects = true;        // blobs redirect to storage; auth headers are not resent there
  TlsOptions tls;
  long connect_timeout_ms = 15000;
  // Abort when fewer than low_speed_bytes arrive in low_speed_seconds: a registry that stalls.
  long low_speed_bytes = 1, low_speed_seconds = 60;
};

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lowercased; the final response's only
  std::string body;                                 // empty when the body went to a sink
  std::string effective_url;

  std::optional<std::string> header(const std::string& lower_name) const;
  std::vector<std::string> headers_named(const std::string& lower_name) const;
};

// Receives the body as it arrives; return false to stop the transfer (the
// request then fails with Cancelled). Called only for a 2xx final answer.
using BodySink = std::function<bool(std::string_view chunk)>;

class Http {
 public:
  Http();
  ~Http();
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;

  // The body is kept in the response (up to max_body bytes: a manifest, a
  // token, an error), or streamed to sink when the answer is 2xx.
  Result<HttpResponse> send(const HttpRequest& request, const BodySink* sink = nullptr,
                            size_t max_body = 4 << 20);

 private:
  struct Shared;
  std::unique_ptr<Shared> shared_;
};

// Go's url.Error prefix for a method: "Get", "Head", "Put"...
std::string go_method(const std::string& method);

// "a/b c" -> "a%2Fb%20c" (RFC 3986 unreserved kept).
std::string url_escape(std::string_view s);

}  // namespace berth::registry
