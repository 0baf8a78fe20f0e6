#include "kubestream/http_upgrade.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "base/strings.h"
#include "httpio/fd_stream.h"
#include "kubestream/websocket_frame.h"

namespace berth::kubestream {

namespace http = boost::beast::http;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

const char* reason(int status) {
  switch (status) {
    case 101: return "Switching Protocols";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

std::string join(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + v[i];
  return out + "]";
}

}  // namespace

std::vector<std::string> HttpRequest::header_list(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = headers.equal_range(name);
  for (auto it = b; it != e; ++it) {
    std::string_view v = it->second;
    size_t start = 0;
    for (;;) {
      size_t comma = v.find(',', start);
      std::string item = trim(v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      if (!item.empty()) out.push_back(item);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

std::string HttpRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

Result<HttpRequest> read_request(int fd) {
  httpio::FdStream stream(fd);
  boost::beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(64 * 1024);
  boost::system::error_code ec;
  http::read(stream, buffer, parser, ec);
  if (ec) return fail(Errc::InvalidArgument, "reading the HTTP request: " + ec.message());
  auto& msg = parser.get();
  HttpRequest req;
  req.method = std::string(msg.method_string());
  std::string_view target(msg.target().data(), msg.target().size());
  req.target = std::string(target);
  size_t q = target.find('?');
  req.path = url_decode(target.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view qs = target.substr(q + 1);
    while (!qs.empty()) {
      size_t amp = qs.find('&');
      std::string_view kv = qs.substr(0, amp);
      size_t eq = kv.find('=');
      if (!kv.empty()) {
        req.query.emplace(url_decode(kv.substr(0, eq)),
                          eq == std::string_view::npos ? "" : url_decode(kv.substr(eq + 1)));
      }
      if (amp == std::string_view::npos) break;
      qs.remove_prefix(amp + 1);
    }
  }
  for (const auto& field : msg) req.headers.emplace(lower(std::string(field.name_string())), std::string(field.value()));
  req.body = std::move(msg.body());
  auto data = buffer.data();
  req.leftover.assign(static_cast<const char*>(data.data()), data.size());
  return req;
}

Result<void> send_all(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("writing the HTTP response");
    off += static_cast<size_t>(n);
  }
  return {};
}

void send_plain(int fd, int status, const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n";
  out += "Content-Length: " + std::to_string(body.size() + 1) + "\r\nConnection: close\r\n\r\n" + body + "\n";
  (void)send_all(fd, out);
}

bool is_websocket_request(const HttpRequest& req) {
  bool upgrade = false;
  for (const auto& c : req.header_list("connection")) upgrade |= lower(c) == "upgrade";
  return upgrade && lower(req.header("upgrade")) == "websocket";
}

std::optional<std::string> negotiate(const std::vector<std::string>& client, const std::vector<std::string>& server) {
  for (const auto& c : client) {
    if (std::find(server.begin(), server.end(), c) != server.end()) return c;
  }
  return std::nullopt;
}

std::optional<std::string> upgrade_spdy(int fd, const HttpRequest& req, const std::vector<std::string>& protocols) {
  bool upgrade = false;
  for (const auto& c : req.header_list("connection")) upgrade |= lower(c) == "upgrade";
  if (!upgrade || lower(req.header("upgrade")) != "spdy/3.1") {
    send_plain(fd, 400, "unable to upgrade: missing upgrade headers in request: Connection: Upgrade and Upgrade: SPDY/3.1 "
                        "(or a WebSocket upgrade) are required");
    return std::nullopt;
  }
  auto client = req.header_list("x-stream-protocol-version");
  if (client.empty()) {
    send_plain(fd, 400, "unable to upgrade: X-Stream-Protocol-Version is required");
    return std::nullopt;
  }
  auto chosen = negotiate(client, protocols);
  if (!chosen) {
    std::vector<std::pair<std::string, std::string>> accepted;
    for (const auto& p : protocols) accepted.emplace_back("X-Accepted-Stream-Protocol-Versions", p);
    send_plain(fd, 403, "unable to upgrade: unable to negotiate protocol: client supports " + join(client) +
                            ", server accepts " + join(protocols), accepted);
    return std::nullopt;
  }
  std::string out = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
                    "X-Stream-Protocol-Version: " + *chosen + "\r\n\r\n";
  if (!send_all(fd, out)) return std::nullopt;
  return chosen;
}

std::optional<std::string> upgrade_websocket(int fd, const HttpRequest& req, const std::vector<std::string>& protocols) {
  std::string key = req.header("sec-websocket-key");
  if (key.empty() || req.header("sec-websocket-version") != "13") {
    send_plain(fd, 400, "unable to upgrade: a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13");
    return std::nullopt;
  }
  auto client = req.header_list("sec-websocket-protocol");
  std::optional<std::string> chosen;
  if (client.empty()) {
    if (std::find(protocols.begin(), protocols.end(), "") != protocols.end()) chosen = "";
  } else {
    chosen = negotiate(client, protocols);
  }
  if (!chosen) {
    std::vector<std::string> named;
    for (const auto& p : protocols) {
      if (!p.empty()) named.push_back(p);
    }
    send_plain(fd, 400, "unable to upgrade: requested WebSocket protocol(s) " + join(client) +
                            " are not supported; the server supports " + join(named));
    return std::nullopt;
  }
  std::string out = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: " + ws::accept_key(key) + "\r\n";
  if (!chosen->empty()) out += "Sec-WebSocket-Protocol: " + *chosen + "\r\n";
  out += "\r\n";
  if (!send_all(fd, out)) return std::nullopt;
  return chosen;
}

}  // namespace berth::kubestream
