// berth's own API (not Docker's): POST /berth/v1/images/diff over
// backend::ImageDiffBackend. Body {"a", "b", "types", "registry_auth": {"a",
// "b"}, "platform"}; the answer is the comparison's JSON.
#include "server/routes/routes.h"

namespace berth::server {
namespace {

Result<std::string> string_field(const nlohmann::json& body, const char* key, bool required) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) return fail(Errc::InvalidArgument, std::string("image diff needs two images: \"") + key + "\" is missing");
    return std::string();
  }
  if (!it->is_string()) return fail(Errc::InvalidArgument, std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

Result<void> image_diff(backend::ImageDiffBackend& b, Request& req, ResponseWriter& w) {
  auto body = TRY(req.json_body());
  if (!body.is_object()) return fail(Errc::InvalidArgument, "the request body must be a JSON object");
  backend::ImageDiffRequest r;
  r.a = TRY(string_field(body, "a", true));
  r.b = TRY(string_field(body, "b", true));
  r.platform = TRY(string_field(body, "platform", false));
  if (auto t = body.find("types"); t != body.end() && !t->is_null()) {
    if (!t->is_array()) return fail(Errc::InvalidArgument, "\"types\" must be an array of strings");
    for (const auto& v : *t) {
      if (!v.is_string()) return fail(Errc::InvalidArgument, "\"types\" must be an array of strings");
      r.types.push_back(v.get<std::string>());
    }
  }
  if (auto auth = body.find("registry_auth"); auth != body.end() && !auth->is_null()) {
    if (!auth->is_object()) return fail(Errc::InvalidArgument, "\"registry_auth\" must be an object {\"a\", \"b\"}");
    r.auth_a = TRY(string_field(*auth, "a", false));
    r.auth_b = TRY(string_field(*auth, "b", false));
  }
  auto result = TRY(b.image_diff(r));
  // File names in layers are bytes, not always UTF-8: such bytes become U+FFFD, never an exception.
  return w.send(200, "application/json",
                result.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
}

}  // namespace

void add_berth_image_routes(Router& r, backend::ImageDiffBackend& b) {
  r.add("POST", "/berth/v1/images/diff", [&b](Request& q, ResponseWriter& w) { return image_diff(b, q, w); });
}

}  // namespace berth::server
