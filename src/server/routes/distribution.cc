// Registries: push, search and login over backend::DistributionBackend (the
// pull is POST /images/create, see images.cc).
#include "dockerapi/field_reader.h"
#include "server/routes/params.h"
#include "server/routes/routes.h"

namespace berth::server {
namespace {

using backend::DistributionBackend;

Result<void> push(DistributionBackend& b, Request& req, ResponseWriter& w) {
  std::string ref = req.params[0];
  if (auto tag = req.q("tag"); tag && !tag->empty()) ref += ":" + *tag;
  bool streaming = false;
  auto progress = [&](const std::string& line) {
    if (!streaming) streaming = w.begin_stream(200, "application/json").has_value();
    return streaming && w.write_chunk(line).has_value();
  };
  backend::RegistryAuth auth;
  auth.header = req.header("x-registry-auth");
  TRYV(b.push(ref, auth, progress));
  return streaming ? w.end_stream() : w.send(200, "application/json", "");
}

Result<void> login(DistributionBackend& b, Request& req, ResponseWriter& w) {
  auto body = TRY(req.json_body());
  auto r = TRY(dockerapi::FieldReader::of(body, "AuthConfig"));
  backend::RegistryAuth auth{TRY(r.string("username")), TRY(r.string("password")), TRY(r.string("serveraddress")),
                             TRY(r.string("identitytoken")), ""};
  auto result = TRY(b.login(auth));
  return w.json(200, {{"Status", result.status}, {"IdentityToken", result.identity_token}});
}

Result<void> search(DistributionBackend& b, Request& req, ResponseWriter& w) {
  auto limit = TRY(int_param(req, "limit")).value_or(25);
  auto results = TRY(b.search(req.q("term").value_or(""), static_cast<int>(limit)));
  return w.send(200, "application/json", results + "\n");
}

}  // namespace

void add_distribution_routes(Router& r, DistributionBackend& b) {
  r.add("GET", "/images/search", [&b](Request& q, ResponseWriter& w) { return search(b, q, w); });
  r.add("POST", "/images/{name...}/push", [&b](Request& q, ResponseWriter& w) { return push(b, q, w); });
  r.add("POST", "/auth", [&b](Request& q, ResponseWriter& w) { return login(b, q, w); });
}

}  // namespace berth::server
