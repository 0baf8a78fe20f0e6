// Calls the API routes in-process, without a server or a socket: a request
// is routed and run as the server runs it (run_handler), and the answer is
// captured.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "server/http/server.h"
#include "server/http/target.h"

namespace berth::server::testing {

struct Answer {
  int status = 0;
  std::string content_type, body;
  std::map<std::string, std::string> headers;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string message() const {
    auto j = json();
    return j.is_object() ? j.value("message", "") : "";
  }
};

class CapturingWriter : public ResponseWriter {
 public:
  Answer answer;
  bool streaming = false;

  Result<void> send(int status, std::string_view type, std::string_view body,
                    const std::map<std::string, std::string>& headers) override {
    answer.status = status;
    answer.content_type = type;
    answer.body = body;
    answer.headers = headers;
    done_ = true;
    return {};
  }
  Result<void> begin_stream(int status, std::string_view type, const std::map<std::string, std::string>& headers) override {
    answer.status = status;
    answer.content_type = type;
    answer.headers = headers;
    streaming = done_ = true;
    return {};
  }
  Result<void> write_chunk(std::string_view data) override {
    answer.body += data;
    return {};
  }
  Result<void> end_stream() override { return {}; }
  Result<Hijacked> hijack(std::string_view) override {
    return fail(Errc::Unsupported, "no connection to hijack in a route test");
  }
  bool responded() const override { return done_; }
  int client_fd() const override { return -1; }

 private:
  bool done_ = false;
};

inline Answer call(const Router& router, const std::string& method, const std::string& target,
                   const std::string& body = "", std::map<std::string, std::string> headers = {}) {
  Request req;
  req.method = method;
  req.headers = std::move(headers);
  req.raw_target = target;
  auto parsed = parse_target(target);
  req.path = parsed.path;
  req.query = parse_query(parsed.query);
  std::string pending = body;
  req.read_all = [&pending]() -> Result<std::string> { return std::exchange(pending, std::string()); };
  req.read_some = [&pending](char* buf, size_t len) -> Result<size_t> {
    size_t n = std::min(len, pending.size());
    pending.copy(buf, n);
    pending.erase(0, n);
    return n;
  };
  CapturingWriter w;
  bool known = false;
  const Handler* h = router.match(req, &known);
  if (!h) {
    w.answer.status = known ? 405 : 404;
    return w.answer;
  }
  run_handler(*h, req, w);
  return w.answer;
}

}  // namespace berth::server::testing
