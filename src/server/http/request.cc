#include <strings.h>

#include <cstring>

#include "base/json_syntax.h"
#include "base/log.h"
#include "base/strings.h"
#include "server/http/server.h"

namespace berth::server {

std::optional<std::string> Request::q(const std::string& key) const {
  auto it = query.find(key);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

bool Request::q_bool(const std::string& key, bool dflt) const {
  auto v = q(key);
  if (!v) return dflt;
  std::string_view s = trim(*v);
  for (const char* no : {"", "0", "no", "false", "none"})
    if (s.size() == std::strlen(no) && ::strncasecmp(s.data(), no, s.size()) == 0) return false;
  return true;
}

std::optional<int64_t> Request::q_int(const std::string& key) const {
  auto v = q(key);
  if (!v) return std::nullopt;
  return parse_int(trim(*v));
}

std::string Request::header(const std::string& lower_key) const {
  auto it = headers.find(lower_key);
  return it == headers.end() ? std::string() : it->second;
}

Result<nlohmann::json> Request::json_body() const {
  if (!read_all) return nlohmann::json::object();
  std::string body = TRY(read_all());
  if (trim(body).empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded()) return j;
  if (auto e = json_syntax_error(body))
    return fail(Errc::InvalidArgument, e->message + " (at byte " + std::to_string(e->offset) + " of the request body)");
  return fail(Errc::InvalidArgument, "the request body is not valid JSON (it is not UTF-8)");
}

Result<void> ResponseWriter::json(int status, const nlohmann::json& body) {
  // Go's json.Encoder ends each document with a newline; clients that read
  // line by line rely on it. Invalid UTF-8 is replaced, not thrown.
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  return send(status, "application/json", text);
}

Result<void> ResponseWriter::error(const Error& e) {
  return json(status_for(e.code), nlohmann::json{{"message", e.str()}});
}

void run_handler(const Handler& handler, Request& req, ResponseWriter& w) {
  auto r = handler(req, w);
  if (r) return;
  if (!w.responded())
    (void)w.error(r.error());
  else
    log::debug("http {} {}: {}", req.method, req.raw_target, r.error().str());
}

int status_for(Errc code) {
  switch (code) {
    case Errc::NotFound: return 404;
    case Errc::AlreadyExists:
    case Errc::Conflict: return 409;
    case Errc::InvalidArgument: return 400;
    case Errc::PermissionDenied: return 403;
    case Errc::Unsupported: return 501;
    case Errc::Unavailable: return 503;
    case Errc::Internal: return 500;
  }
  return 500;
}

}  // namespace berth::server
