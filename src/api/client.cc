// The API client: one keep-alive connection, opened on first use, Beast
// parsing over a plain socket fd (no io_context, no threads).
#include "api/client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cstring>
#include <limits>

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/span.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include "httpio/fd_stream.h"

namespace berth::api {
namespace {

namespace http = boost::beast::http;
namespace asio = boost::asio;
using boost::system::error_code;

constexpr int kMaxApiMinor = 41;
constexpr uint32_t kHeaderLimit = 1 << 20;
// No body limit. Not boost::none: Boost 1.74's parser compares the length
// with the optional, and any length is "greater" than none.
constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();

boost::beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

std::string address_of(const Endpoint& ep) {
  if (ep.kind == Endpoint::Kind::Unix) return "unix://" + ep.path;
  if (ep.host.find(':') != std::string::npos) return fmt::format("tcp://[{}]:{}", ep.host, ep.port);
  return fmt::format("tcp://{}:{}", ep.host, ep.port);
}

template <class Fields>
void copy_headers(const Fields& fields, std::map<std::string, std::string>* out) {
  for (const auto& f : fields) {
    std::string key(f.name_string());
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    out->emplace(std::move(key), std::string(f.value()));
  }
}

}  // namespace

struct Client::Impl {
  Endpoint ep;
  std::string address;
  UniqueFd conn;
  httpio::FdStream stream;
  boost::beast::flat_buffer buf;
  bool negotiated = false;
  int minor = kMaxApiMinor;
  int last_status = 0;

  Result<void> connect();
  Result<void> ensure_connection();
  void drop() {
    conn.reset();
    stream.reset(-1);
    buf.consume(buf.size());
  }
  std::string versioned(std::string_view path) const { return fmt::format("/v1.{}{}", minor, path); }
  Error io_error(const error_code& ec, std::string_view what) {
    drop();
    return Error{Errc::Unavailable, 0,
                 fmt::format("{} the berth daemon at {}: {}", what, address, ec.message())};
  }
  template <class Body>
  void fill(http::request<Body>& req, std::string_view method, const std::string& target,
            std::string_view content_type, bool has_body, const std::map<std::string, std::string>& headers);
  template <class Body>
  Result<void> write_request(http::request<Body>& req);
  // Reads the rest of a response (its header may already be in p).
  Result<Response> finish_response(http::response_parser<http::string_body>& p);
  Result<Response> exchange(std::string_view method, const std::string& target, std::string_view body,
                            std::string_view content_type, const std::map<std::string, std::string>& headers);
  Result<void> send_chunked(std::string_view method, std::string_view path, int body_fd,
                            std::string_view content_type, const std::function<void(uint64_t)>& progress,
                            const std::map<std::string, std::string>& headers, boost::system::error_code& ec);
  Result<Response> read_streamed_reply(std::string_view method, const std::function<bool(std::string_view)>& on_data);
};

Result<void> Client::Impl::connect() {
  drop();
  auto unavailable = [this] {
    return fail(Errc::Unavailable, fmt::format("Cannot connect to the berth daemon at {}. Is the daemon running?",
                                               address));
  };
  if (ep.kind == Endpoint::Kind::Unix) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (ep.path.size() >= sizeof addr.sun_path)
      return fail(Errc::InvalidArgument, fmt::format("socket path {} is too long", ep.path));
    std::memcpy(addr.sun_path, ep.path.c_str(), ep.path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return fail_errno("creating a UNIX socket");
    int rc;
    do {
      rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      if (errno == EACCES || errno == EPERM)
        return fail(Errc::PermissionDenied,
                    fmt::format("permission denied while trying to connect to the berth daemon socket at {}", address),
                    errno);
      return unavailable();
    }
    conn = std::move(fd);
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    std::string port = std::to_string(ep.port);
    if (::getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res) != 0) return unavailable();
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, ::freeaddrinfo);
    for (addrinfo* ai = res; ai && !conn; ai = ai->ai_next) {
      UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
      if (!fd) continue;
      int rc;
      do {
        rc = ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen);
      } while (rc != 0 && errno == EINTR);
      if (rc != 0) continue;
      int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      conn = std::move(fd);
    }
    if (!conn) return unavailable();
  }
  stream.reset(conn.get());
  return {};
}

// A kept connection is reused unless the daemon closed it meanwhile: the
// server never speaks first, so anything readable now is EOF or garbage.
Result<void> Client::Impl::ensure_connection() {
  if (conn) {
    pollfd p{conn.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) == 0 && buf.size() == 0) return {};
  }
  return connect();
}

template <class Body>
void Client::Impl::fill(http::request<Body>& req, std::string_view method, const std::string& target,
                        std::string_view content_type, bool has_body,
                        const std::map<std::string, std::string>& headers) {
  http::verb v = http::string_to_verb(bsv(method));
  if (v == http::verb::unknown)
    req.method_string(bsv(method));
  else
    req.method(v);
  req.target(target);
  req.version(11);
  req.set(http::field::host, ep.kind == Endpoint::Kind::Unix ? "berth" : fmt::format("{}:{}", ep.host, ep.port));
  req.set(http::field::user_agent, "berth-cli");
  if (has_body && !content_type.empty()) req.set(http::field::content_type, bsv(content_type));
  for (const auto& [k, val] : headers) req.set(k, val);
}

template <class Body>
Result<void> Client::Impl::write_request(http::request<Body>& req) {
  error_code ec;
  http::write(stream, req, ec);
  if (ec) return std::unexpected(io_error(ec, "sending a request to"));
  return {};
}

Result<Response> Client::Impl::finish_response(http::response_parser<http::string_body>& p) {
  error_code ec;
  http::read(stream, buf, p, ec);  // continues after a header already read
  if (ec) return std::unexpected(io_error(ec, "reading the answer of"));
  auto& msg = p.get();
  Response r;
  r.status = static_cast<int>(msg.result_int());
  copy_headers(msg, &r.headers);
  r.body = std::move(msg.body());
  last_status = r.status;
  if (!p.keep_alive()) drop();
  return r;
}

Result<Response> Client::Impl::exchange(std::string_view method, const std::string& target, std::string_view body,
                                        std::string_view content_type,
                                        const std::map<std::string, std::string>& headers) {
  TRYV(ensure_connection());
  http::request<http::span_body<const char>> req;
  fill(req, method, target, content_type, !body.empty(), headers);
  req.body() = boost::beast::span<const char>(body.data(), body.size());
  req.prepare_payload();
  TRYV(write_request(req));
  http::response_parser<http::string_body> p;
  p.header_limit(kHeaderLimit);
  p.body_limit(kNoBodyLimit);
  if (method == "HEAD") p.skip(true);
  return finish_response(p);
}

Result<std::unique_ptr<Client>> Client::create(const Endpoint& ep) {
  auto impl = std::make_unique<Impl>();
  impl->ep = ep;
  impl->address = address_of(ep);
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

int Client::api_minor() const { return impl_->minor; }
int Client::last_status() const { return impl_->last_status; }
const std::string& Client::address() const { return impl_->address; }

// As Docker's client: the daemon's API-Version header, 1.24 when absent
// (daemons older than the header), capped at what this client speaks.
Result<void> Client::negotiate() {
  if (impl_->negotiated) return {};
  Response r = TRY(impl_->exchange("HEAD", "/_ping", {}, {}, {}));
  int server_minor = 24;
  if (auto it = r.headers.find("api-version"); it != r.headers.end()) {
    std::string_view v = it->second;
    if (v.starts_with("1.")) {
      int m = 0;
      if (auto [p, ec] = std::from_chars(v.data() + 2, v.data() + v.size(), m); ec == std::errc()) server_minor = m;
    }
  }
  impl_->minor = std::min(kMaxApiMinor, server_minor);
  impl_->negotiated = true;
  return {};
}

Result<Response> Client::request(std::string_view method, std::string_view path, std::string_view body,
                                 std::string_view content_type, const std::map<std::string, std::string>& headers) {
  TRYV(negotiate());
  return impl_->exchange(method, impl_->versioned(path), body, content_type, headers);
}

Result<Response> Client::post_json(std::string_view path, const nlohmann::json& body) {
  return request("POST", path, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// Reads a reply, giving a success status's body to on_data as it arrives
// (false stops: the connection is dropped); an error's body is read whole.
Result<Response> Client::Impl::read_streamed_reply(std::string_view method,
                                                   const std::function<bool(std::string_view)>& on_data) {
  Impl& im = *this;

  http::response_parser<http::buffer_body> p;
  p.header_limit(kHeaderLimit);
  p.body_limit(kNoBodyLimit);
  if (method == "HEAD") p.skip(true);
  error_code ec;
  http::read_header(im.stream, im.buf, p, ec);
  if (ec) return std::unexpected(im.io_error(ec, "reading the answer of"));
  Response r;
  r.status = static_cast<int>(p.get().result_int());
  copy_headers(p.get(), &r.headers);
  im.last_status = r.status;
  bool deliver = r.status < 400;
  std::vector<char> piece(64 << 10);
  // Beast reads as much as im.buf has room for (at least 512 bytes): give it a
  // piece's worth, or a large answer (save, export) comes in ~512-byte reads.
  if (im.buf.capacity() < piece.size()) im.buf.reserve(piece.size());
  while (!p.is_done()) {
    auto& b = p.get().body();
    b.data = piece.data();
    b.size = piece.size();
    http::read_some(im.stream, im.buf, p, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return std::unexpected(im.io_error(ec, "reading the answer of"));
    size_t got = piece.size() - b.size;
    if (got == 0) continue;
    if (!deliver) {
      r.body.append(piece.data(), got);
    } else if (!on_data(std::string_view(piece.data(), got))) {
      im.drop();  // the rest of the body is still coming: the connection is spent
      return r;
    }
  }
  if (!p.keep_alive()) im.drop();
  return r;
}


Result<Response> Client::upload(std::string_view method, std::string_view path, int body_fd,
                                std::string_view content_type, const std::function<void(uint64_t)>& progress,
                                const std::map<std::string, std::string>& headers) {
  TRYV(negotiate());
  Impl& im = *impl_;
  TRYV(im.ensure_connection());
  error_code ec;
  TRYV(im.send_chunked(method, path, body_fd, content_type, progress, headers, ec));
  // A failed write may mean the daemon answered early and closed: its
  // answer, if there is one, says why.
  http::response_parser<http::string_body> p;
  p.header_limit(kHeaderLimit);
  p.body_limit(kNoBodyLimit);
  error_code rec;
  http::read(im.stream, im.buf, p, rec);
  if (rec) return std::unexpected(im.io_error(ec ? ec : rec, "uploading to"));
  auto& msg = p.get();
  Response r;
  r.status = static_cast<int>(msg.result_int());
  copy_headers(msg, &r.headers);
  r.body = std::move(msg.body());
  im.last_status = r.status;
  if (ec || !p.keep_alive()) im.drop();
  return r;
}

Result<Response> Client::upload_stream(std::string_view method, std::string_view path, int body_fd,
                                       std::string_view content_type,
                                       const std::function<bool(std::string_view)>& on_data,
                                       const std::map<std::string, std::string>& headers) {
  TRYV(negotiate());
  Impl& im = *impl_;
  TRYV(im.ensure_connection());
  error_code ec;
  TRYV(im.send_chunked(method, path, body_fd, content_type, {}, headers, ec));
  auto r = im.read_streamed_reply(method, on_data);
  if (!r && ec) return std::unexpected(im.io_error(ec, "uploading to"));
  if (ec) im.drop();
  return r;
}

// Sends the request head and the body from body_fd as chunks; ec is the
// first write error (the daemon may have answered early and closed).
Result<void> Client::Impl::send_chunked(std::string_view method, std::string_view path, int body_fd,
                                        std::string_view content_type, const std::function<void(uint64_t)>& progress,
                                        const std::map<std::string, std::string>& headers, error_code& ec) {
  Impl& im = *this;
  http::request<http::empty_body> req;
  im.fill(req, method, im.versioned(path), content_type, true, headers);
  req.chunked(true);
  http::request_serializer<http::empty_body> sr(req);
  http::write_header(im.stream, sr, ec);
  std::vector<char> chunk(256 << 10);
  uint64_t sent = 0;
  while (!ec) {
    ssize_t n = ::read(body_fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      im.drop();  // the request is half sent: the connection is unusable
      return fail_errno(fmt::format("reading the upload for {} {}", method, path), err);
    }
    if (n == 0) {
      asio::write(im.stream, http::make_chunk_last(), ec);
      break;
    }
    asio::write(im.stream, http::make_chunk(asio::const_buffer(chunk.data(), static_cast<size_t>(n))), ec);
    if (!ec) {
      sent += static_cast<uint64_t>(n);
      if (progress) progress(sent);
    }
  }
  return {};
}
Result<Response> Client::stream(std::string_view method, std::string_view path, std::string_view body,
                                const std::function<bool(std::string_view)>& on_data,
                                const std::map<std::string, std::string>& headers) {
  TRYV(negotiate());
  Impl& im = *impl_;
  TRYV(im.ensure_connection());
  http::request<http::span_body<const char>> req;
  im.fill(req, method, im.versioned(path), "application/json", !body.empty(), headers);
  req.body() = boost::beast::span<const char>(body.data(), body.size());
  req.prepare_payload();
  TRYV(im.write_request(req));
  return im.read_streamed_reply(method, on_data);
}

Result<Client::Hijacked> Client::hijack(std::string_view path, std::string_view body) {
  TRYV(negotiate());
  Impl& im = *impl_;
  TRYV(im.ensure_connection());
  http::request<http::span_body<const char>> req;
  im.fill(req, "POST", im.versioned(path), "application/json", !body.empty(),
          {{"Connection", "Upgrade"}, {"Upgrade", "tcp"}});
  req.body() = boost::beast::span<const char>(body.data(), body.size());
  req.prepare_payload();
  TRYV(im.write_request(req));
  http::response_parser<http::string_body> p;
  p.header_limit(kHeaderLimit);
  p.body_limit(kNoBodyLimit);
  error_code ec;
  http::read_header(im.stream, im.buf, p, ec);
  if (ec) return std::unexpected(im.io_error(ec, "reading the answer of"));
  int status = static_cast<int>(p.get().result_int());
  im.last_status = status;
  if (status != 101 && status != 200) {
    Response r = TRY(im.finish_response(p));
    return fail(errc_for_status(status), r.error_message());
  }
  Hijacked h;
  auto pending = im.buf.data();
  h.buffered.assign(static_cast<const char*>(pending.data()), pending.size());
  im.buf.consume(im.buf.size());
  h.fd = std::move(im.conn);
  im.stream.reset(-1);
  return h;
}

}  // namespace berth::api
