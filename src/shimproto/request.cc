#include "shimproto/request.h"

#include "shimproto/protocol.h"

namespace berth::shimproto {
namespace {

// Replies hold messages that may quote bytes from anywhere: never throw on bad UTF-8.
std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

Result<nlohmann::json> parse_object(std::string_view payload, const char* what) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(Errc::InvalidArgument, std::string("shim protocol: a ") + what + " that is not a JSON object");
  return j;
}

Result<uint64_t> id_of(const nlohmann::json& j, const char* what) {
  auto it = j.find("id");
  if (it == j.end() || !it->is_number_unsigned())
    return fail(Errc::InvalidArgument, std::string("shim protocol: a ") + what + " without an unsigned \"id\"");
  return it->get<uint64_t>();
}

}  // namespace

std::string Request::encode() const {
  nlohmann::json j = args.is_object() ? args : nlohmann::json::object();
  j["id"] = id;
  j["op"] = op;
  return dump(j);
}

Result<Request> Request::decode(std::string_view payload) {
  auto j = TRY(parse_object(payload, "request"));
  Request r;
  r.id = TRY(id_of(j, "request"));
  auto op = j.find("op");
  if (op == j.end() || !op->is_string())
    return fail(Errc::InvalidArgument, "shim protocol: request " + std::to_string(r.id) + " without a string \"op\"");
  r.op = op->get<std::string>();
  j.erase("id");
  j.erase("op");
  r.args = std::move(j);
  return r;
}

std::string Reply::encode() const {
  nlohmann::json j = {{"id", id}};
  if (outcome) {
    j["result"] = *outcome;
  } else {
    j["error"] = {{"message", outcome.error().str()}, {"code", errc_code(outcome.error().code)}};
  }
  return dump(j);
}

Result<Reply> Reply::decode(std::string_view payload) {
  auto j = TRY(parse_object(payload, "reply"));
  Reply r;
  r.id = TRY(id_of(j, "reply"));
  if (auto e = j.find("error"); e != j.end() && !e->is_null()) {
    std::string message = "the shim reported an error without a message", code = "Internal";
    if (e->is_object()) {
      if (auto m = e->find("message"); m != e->end() && m->is_string()) message = m->get<std::string>();
      if (auto c = e->find("code"); c != e->end() && c->is_string()) code = c->get<std::string>();
    }
    r.outcome = fail(errc_from_code(code), std::move(message));
    return r;
  }
  auto res = j.find("result");
  r.outcome = res == j.end() ? nlohmann::json() : std::move(*res);
  return r;
}

}  // namespace berth::shimproto
