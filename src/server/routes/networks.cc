// /networks/... : Docker's network endpoints over backend::NetworkBackend.
#include "dockerapi/container_create.h"
#include "server/routes/params.h"
#include "server/routes/routes.h"

namespace berth::server {
namespace {

using backend::NetworkBackend;

Result<void> connect(NetworkBackend& b, Request& req, ResponseWriter& w) {
  auto body = TRY(req.json_body());
  auto r = TRY(dockerapi::FieldReader::of(body, "NetworkConnect"));
  auto endpoint = TRY(dockerapi::parse_endpoint(TRY(r.object("EndpointConfig"))));
  TRYV(b.network_connect(req.params[0], TRY(r.string("Container")), endpoint));
  return no_content(w, 200);
}

Result<void> disconnect(NetworkBackend& b, Request& req, ResponseWriter& w) {
  auto body = TRY(req.json_body());
  auto r = TRY(dockerapi::FieldReader::of(body, "NetworkDisconnect"));
  TRYV(b.network_disconnect(req.params[0], TRY(r.string("Container")), TRY(r.boolean("Force"))));
  return no_content(w, 200);
}

}  // namespace

void add_network_routes(Router& r, NetworkBackend& b) {
  r.add("GET", "/networks", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    return w.json(200, TRY(b.network_list(TRY(filters_param(q)))));
  });
  r.add("POST", "/networks/create", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    return w.json(201, TRY(b.network_create(TRY(q.json_body()))));
  });
  r.add("POST", "/networks/prune", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    return w.json(200, TRY(b.network_prune(TRY(filters_param(q)))));
  });
  r.add("GET", "/networks/{id}", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    return w.json(200, TRY(b.network_inspect(q.params[0])));
  });
  r.add("DELETE", "/networks/{id}", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    TRYV(b.network_remove(q.params[0]));
    return no_content(w, 204);
  });
  r.add("POST", "/networks/{id}/connect", [&b](Request& q, ResponseWriter& w) { return connect(b, q, w); });
  r.add("POST", "/networks/{id}/disconnect", [&b](Request& q, ResponseWriter& w) { return disconnect(b, q, w); });
}

}  // namespace berth::server
