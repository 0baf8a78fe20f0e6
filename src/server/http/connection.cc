// One connection: read a request header, route, let the handler answer
// (whole, streamed or hijacked), then the next request (keep-alive).
#include <fcntl.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <limits>
#include <optional>

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/span.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/write.hpp>

#include "base/log.h"
#include "httpio/fd_stream.h"
#include "server/http/server_internal.h"
#include "server/http/target.h"

namespace berth::server {
namespace {

namespace http = boost::beast::http;
namespace asio = boost::asio;
using boost::system::error_code;

// X-Registry-Auth / X-Registry-Config (build) carry base64 JSON: allow more
// than Beast's 8 KiB default.
constexpr uint32_t kHeaderLimit = 1 << 20;
// A body the handler did not read is drained up to this much to keep the
// connection (Go's server does the same with 256 KiB); beyond, it closes.
constexpr size_t kDrainLimit = 256 << 10;
constexpr size_t kBodyReadBuffer = 64 << 10;  // what one read of a request body may take
// No body limit. Not boost::none: Boost 1.74's parser compares the length
// with the optional, and any length is "greater" than none.
constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();

boost::beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

class Connection final : public ResponseWriter {
 public:
  Connection(ServerShared& shared, UniqueFd fd) : shared_(shared), fd_(std::move(fd)), stream_(fd_.get()) {}

  void serve();

  Result<void> send(int status, std::string_view content_type, std::string_view body,
                    const std::map<std::string, std::string>& headers) override;
  Result<void> begin_stream(int status, std::string_view content_type,
                            const std::map<std::string, std::string>& headers) override;
  Result<void> write_chunk(std::string_view data) override;
  Result<void> end_stream() override;
  Result<Hijacked> hijack(std::string_view content_type) override;
  bool responded() const override { return state_ != State::Pending; }
  int client_fd() const override { return fd_.get(); }

 private:
  enum class State { Pending, Sent, Streaming, Ended, Hijacked };

  bool register_connection();
  void unregister_connection();
  bool wait_for_request();
  bool handle_one();
  void dispatch(Request& req, const ParsedTarget& target);
  Result<size_t> read_body(char* p, size_t n);
  Result<std::string> read_body_all();
  // Reads and discards the rest of the body, at most limit bytes; true when
  // the whole request has been consumed.
  bool drain_body(size_t limit);
  Result<void> write_raw(std::string_view data);
  Result<void> check_write(const error_code& ec, const char* what);
  template <class Body>
  void fill_head(http::response<Body>& res, int status, std::string_view content_type,
                 const std::map<std::string, std::string>& headers);

  ServerShared& shared_;
  UniqueFd fd_;
  int registered_fd_ = -1;
  httpio::FdStream stream_;
  boost::beast::flat_buffer buf_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  State state_ = State::Pending;
  int status_ = 0;
  bool head_ = false;
  bool keep_alive_ = true;
  bool broken_ = false;           // a read or write failed: close after this request
  bool expect_continue_ = false;  // "Expect: 100-continue" not answered yet
  bool upgrade_requested_ = false;
};

bool Connection::register_connection() {
  std::lock_guard lock(shared_.mu);
  if (shared_.stopping) return false;
  registered_fd_ = fd_.get();
  shared_.connections[registered_fd_] = false;
  return true;
}

void Connection::unregister_connection() {
  if (registered_fd_ < 0) return;
  std::lock_guard lock(shared_.mu);
  shared_.connections.erase(registered_fd_);
  registered_fd_ = -1;
}

void Connection::serve() {
  if (!register_connection()) return;
  while (wait_for_request() && handle_one()) {
  }
  // Before the fd is closed (by ~UniqueFd), so stop() never shuts down a
  // reused descriptor number.
  unregister_connection();
}

// Waits for the next request while marked idle, so stop() can end the wait.
bool Connection::wait_for_request() {
  if (buf_.size() > 0) return true;  // pipelined: already here
  {
    std::lock_guard lock(shared_.mu);
    if (shared_.stopping) return false;
    shared_.connections[registered_fd_] = true;
  }
  pollfd p{fd_.get(), POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, -1);
  } while (r < 0 && errno == EINTR);
  std::lock_guard lock(shared_.mu);
  shared_.connections[registered_fd_] = false;
  return r > 0 && !shared_.stopping;
}

bool Connection::handle_one() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(kNoBodyLimit);
  state_ = State::Pending;
  status_ = 0;
  head_ = false;
  error_code ec;
  http::read_header(stream_, buf_, *parser_, ec);
  if (ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset) return false;
    keep_alive_ = false;
    log::debug("http: bad request: {}", ec.message());
    (void)send(400, "text/plain; charset=utf-8", "400 Bad Request: " + ec.message() + "\n", {});
    return false;
  }

  auto& h = parser_->get();
  Request req;
  req.method = std::string(h.method_string());
  req.raw_target = std::string(h.target());
  for (const auto& f : h) {
    std::string key(f.name_string());
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    req.headers.emplace(std::move(key), std::string(f.value()));
  }
  head_ = req.method == "HEAD";
  keep_alive_ = h.keep_alive();
  expect_continue_ = iequals(req.header("expect"), "100-continue");
  upgrade_requested_ = req.headers.count("upgrade") > 0;
  req.read_some = [this](char* p, size_t n) { return read_body(p, n); };
  req.read_all = [this] { return read_body_all(); };

  ParsedTarget target = parse_target(req.raw_target);
  req.path = std::move(target.path);
  req.query = parse_query(target.query);
  req.api_minor = shared_.opts.max_api_minor;
  auto started = std::chrono::steady_clock::now();
  auto answered = [&] {
    if (!shared_.opts.on_answered) return;
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    shared_.opts.on_answered(req, status_, took.count());
  };
  dispatch(req, target);

  if (state_ == State::Hijacked) {
    log::debug("http {} {} -> {} (hijacked)", req.method, req.raw_target, status_);
    answered();
    return false;
  }
  if (state_ == State::Pending) {
    log::error("http {} {}: the handler returned without answering", req.method, req.raw_target);
    (void)error(Error{Errc::Internal, 0, "internal error: the request got no answer"});
  }
  if (state_ == State::Streaming) (void)end_stream();
  answered();
  log::debug("http {} {} -> {}", req.method, req.raw_target, status_);
  if (broken_ || !keep_alive_) return false;
  // An unanswered "Expect: 100-continue" means the client may still send the
  // body or not: the connection's framing is unknown, so close it.
  if (!parser_->is_done() && (expect_continue_ || !drain_body(kDrainLimit))) return false;
  return true;
}

void Connection::dispatch(Request& req, const ParsedTarget& target) {
  if (target.version) {
    req.versioned = true;
    VersionCheck v = check_api_version(*target.version, shared_.opts.min_api_minor, shared_.opts.max_api_minor);
    if (!v.error.empty()) {
      (void)error(Error{Errc::InvalidArgument, 0, v.error});
      return;
    }
    req.api_minor = v.minor;
  }
  bool path_known = false;
  const Handler* handler = shared_.router.match(req, &path_known);
  if (!handler) {
    if (path_known)
      (void)json(405, nlohmann::json{{"message", "method not allowed"}});
    else
      (void)json(404, nlohmann::json{{"message", "page not found"}});
    return;
  }
  // Handlers report errors as values, answered here. An exception from a
  // library they use (allocation) ends here rather than killing the daemon;
  // its text goes to the log, not to the client.
  try {
    run_handler(*handler, req, *this);
  } catch (const std::exception& e) {
    log::error("http {} {}: {}", req.method, req.raw_target, e.what());
    if (state_ == State::Pending)
      (void)error(Error{Errc::Internal, 0, "internal error while handling " + req.method + " " + req.path});
    else
      broken_ = true;
  } catch (...) {
    log::error("http {} {}: unknown exception", req.method, req.raw_target);
    if (state_ == State::Pending)
      (void)error(Error{Errc::Internal, 0, "internal error"});
    else
      broken_ = true;
  }
}

Result<size_t> Connection::read_body(char* p, size_t n) {
  if (state_ == State::Hijacked || !parser_ || parser_->is_done() || n == 0) return size_t{0};
  if (expect_continue_) {
    if (state_ != State::Pending) return size_t{0};  // answered already: the client keeps its body
    expect_continue_ = false;
    TRYV(write_raw("HTTP/1.1 100 Continue\r\n\r\n"));
  }
  // Beast reads into buf_ as much as its free capacity (at least 512 bytes):
  // the few hundred bytes left after the headers would read a large upload
  // (docker import, load, build contexts) in ~512-byte pieces.
  if (buf_.capacity() < kBodyReadBuffer) buf_.reserve(kBodyReadBuffer);
  while (true) {
    auto& body = parser_->get().body();
    body.data = p;
    body.size = n;
    body.more = true;
    error_code ec;
    http::read_some(stream_, buf_, *parser_, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      broken_ = true;
      return fail(Errc::InvalidArgument, "reading the request body: " + ec.message());
    }
    size_t got = n - body.size;
    if (got > 0 || parser_->is_done()) return got;
  }
}

Result<std::string> Connection::read_body_all() {
  std::string out;
  if (auto len = parser_->content_length()) out.reserve(static_cast<size_t>(std::min<uint64_t>(*len, 64 << 20)));
  char chunk[16384];
  while (true) {
    size_t n = TRY(read_body(chunk, sizeof chunk));
    if (n == 0) return out;
    out.append(chunk, n);
  }
}

bool Connection::drain_body(size_t limit) {
  char scratch[16384];
  size_t total = 0;
  while (!parser_->is_done()) {
    if (total > limit) return false;
    auto n = read_body(scratch, sizeof scratch);
    if (!n) return false;
    if (*n == 0 && !parser_->is_done()) return false;
    total += *n;
  }
  return true;
}

Result<void> Connection::check_write(const error_code& ec, const char* what) {
  if (!ec) return {};
  broken_ = true;
  return fail(Errc::Unavailable, std::string(what) + ": the client went away: " + ec.message());
}

Result<void> Connection::write_raw(std::string_view data) {
  error_code ec;
  asio::write(stream_, asio::const_buffer(data.data(), data.size()), ec);
  return check_write(ec, "writing the response");
}

template <class Body>
void Connection::fill_head(http::response<Body>& res, int status, std::string_view content_type,
                           const std::map<std::string, std::string>& headers) {
  res.version(11);
  res.result(static_cast<unsigned>(status));
  for (const auto& [k, v] : shared_.common_header_list) res.set(k, v);
  if (!content_type.empty()) res.set(http::field::content_type, bsv(content_type));
  for (const auto& [k, v] : headers) res.set(k, v);
  res.keep_alive(keep_alive_);
  status_ = status;
}

Result<void> Connection::send(int status, std::string_view content_type, std::string_view body,
                              const std::map<std::string, std::string>& headers) {
  if (state_ != State::Pending) return fail(Errc::Internal, "a response was already sent for this request");
  state_ = State::Sent;
  http::response<http::span_body<const char>> res;
  fill_head(res, status, content_type, headers);
  // 1xx, 204 and 304 have no body and no length (RFC 9110).
  bool bodyless = status < 200 || status == 204 || status == 304;
  if (!bodyless) res.content_length(body.size());
  if (!bodyless && !head_) res.body() = boost::beast::span<const char>(body.data(), body.size());
  http::response_serializer<http::span_body<const char>> sr(res);
  error_code ec;
  if (head_ || bodyless)
    http::write_header(stream_, sr, ec);
  else
    http::write(stream_, sr, ec);
  return check_write(ec, "writing the response");
}

Result<void> Connection::begin_stream(int status, std::string_view content_type,
                                      const std::map<std::string, std::string>& headers) {
  if (state_ != State::Pending) return fail(Errc::Internal, "a response was already sent for this request");
  state_ = State::Streaming;
  http::response<http::empty_body> res;
  fill_head(res, status, content_type, headers);
  if (!head_) res.chunked(true);
  http::response_serializer<http::empty_body> sr(res);
  error_code ec;
  http::write_header(stream_, sr, ec);
  return check_write(ec, "writing the response header");
}

Result<void> Connection::write_chunk(std::string_view data) {
  if (state_ != State::Streaming) return fail(Errc::Internal, "write_chunk without begin_stream");
  if (broken_) return fail(Errc::Unavailable, "writing the response: the client went away");
  if (head_ || data.empty()) return {};  // an empty chunk would end the body
  error_code ec;
  asio::write(stream_, http::make_chunk(asio::const_buffer(data.data(), data.size())), ec);
  return check_write(ec, "writing the response");
}

Result<void> Connection::end_stream() {
  if (state_ != State::Streaming) return fail(Errc::Internal, "end_stream without begin_stream");
  state_ = State::Ended;
  if (head_ || broken_) return {};
  error_code ec;
  asio::write(stream_, http::make_chunk_last(), ec);
  return check_write(ec, "ending the response");
}

// As moby's postContainersAttach: after hijacking, "HTTP/1.1 101 UPGRADED"
// with Content-Type, Connection: Upgrade, Upgrade: tcp when the client sent
// an Upgrade header, else "HTTP/1.1 200 OK" with Content-Type and no length;
// then the server's common headers and the blank line.
Result<ResponseWriter::Hijacked> Connection::hijack(std::string_view content_type) {
  if (state_ != State::Pending) return fail(Errc::Internal, "hijack after a response was sent");
  // The request body (exec start's JSON) is part of the request, not of the
  // stream: consume what the handler left so `buffered` starts after it.
  expect_continue_ = false;
  if (!drain_body(SIZE_MAX)) return fail(Errc::InvalidArgument, "hijack: could not read the request body");
  std::string head;
  if (upgrade_requested_) {
    status_ = 101;
    head = "HTTP/1.1 101 UPGRADED\r\nContent-Type: ";
    head += content_type;
    head += "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n";
  } else {
    status_ = 200;
    head = "HTTP/1.1 200 OK\r\nContent-Type: ";
    head += content_type;
    head += "\r\n";
  }
  head += shared_.common_headers;
  head += "\r\n";
  state_ = State::Hijacked;
  TRYV(write_raw(head));
  Hijacked h;
  auto pending = buf_.data();
  h.buffered.assign(static_cast<const char*>(pending.data()), pending.size());
  buf_.consume(buf_.size());
  unregister_connection();
  h.fd = std::move(fd_);
  int flags = ::fcntl(h.fd.get(), F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK)) ::fcntl(h.fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  return h;
}

}  // namespace

void serve_connection(std::shared_ptr<ServerShared> shared, UniqueFd fd) {
  Connection(*shared, std::move(fd)).serve();
}

}  // namespace berth::server
