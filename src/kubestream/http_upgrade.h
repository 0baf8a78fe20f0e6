// The HTTP side of a streaming request: reading the request (Beast), the
// plain answers (404, 400, 403) and the two upgrades (SPDY/3.1 with
// X-Stream-Protocol-Version negotiation; WebSocket with its subprotocol).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::kubestream {

struct HttpRequest {
  std::string method;
  std::string path;                                 // without the query
  std::string target;                               // as sent: path and query, still percent-encoded
  std::multimap<std::string, std::string> query;    // decoded
  std::multimap<std::string, std::string> headers;  // names lower case, one entry per field
  std::string body;                                 // the (small) body, when one was sent
  std::string leftover;                             // bytes read past the request (the upgraded protocol's)

  // Every value of a header, comma-separated lists split and trimmed.
  std::vector<std::string> header_list(const std::string& lower_name) const;
  std::string header(const std::string& lower_name) const;  // first value, "" when absent
};

// Reads one request head and a small body (at most 64 KiB) from fd.
Result<HttpRequest> read_request(int fd);

// A complete plain-text answer; the connection is closed after it.
void send_plain(int fd, int status, const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& headers = {});
Result<void> send_all(int fd, const std::string& bytes);

bool is_websocket_request(const HttpRequest& req);

// The protocol both sides accept, in the client's order of preference
// (as Kubernetes negotiates); nullopt when there is none.
std::optional<std::string> negotiate(const std::vector<std::string>& client, const std::vector<std::string>& server);

// Checks the SPDY upgrade headers and negotiates X-Stream-Protocol-Version;
// answers 101 and returns the protocol, or answers the error (400/403) and
// returns nullopt.
std::optional<std::string> upgrade_spdy(int fd, const HttpRequest& req, const std::vector<std::string>& protocols);
// The same for WebSocket; "" in `protocols` accepts a client that names no
// subprotocol.
std::optional<std::string> upgrade_websocket(int fd, const HttpRequest& req, const std::vector<std::string>& protocols);

}  // namespace berth::kubestream
