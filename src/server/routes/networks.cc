// /networks/... : Docker's network endpoints over the engine's networks.
#include "engine/networks/network_service.h"
#include "server/routes/routes.h"

namespace berth::server {

void add_network_routes(Router& r, engine::Engine& e) {
  r.add("GET", "/networks", [&e](Request& q, ResponseWriter& w) {
    auto res = e.networks().list(parse_filters(q));
    if (!res) return (void)w.error(res.error());
    (void)w.json(200, *res);
  });
  r.add("POST", "/networks/create", [&e](Request& q, ResponseWriter& w) {
    auto body = q.json_body();
    if (!body) return (void)w.error(body.error());
    auto res = e.networks().create(*body);
    if (!res) return (void)w.error(res.error());
    e.events().publish({"network", "create", (*res)["Id"].get<std::string>(),
                        {{"name", body->value("Name", "")}, {"type", "bridge"}}, 0});
    (void)w.json(201, *res);
  });
  r.add("POST", "/networks/prune", [&e](Request& q, ResponseWriter& w) {
    auto res = e.networks().prune(parse_filters(q));
    if (!res) return (void)w.error(res.error());
    (void)w.json(200, *res);
  });
  r.add("GET", "/networks/{id}", [&e](Request& q, ResponseWriter& w) {
    auto res = e.networks().inspect(q.params[0]);
    if (!res) return (void)w.error(res.error());
    (void)w.json(200, *res);
  });
  r.add("DELETE", "/networks/{id}", [&e](Request& q, ResponseWriter& w) {
    auto net = e.networks().find(q.params[0]);
    if (!net) return (void)w.error(net.error());
    auto res = e.networks().remove(q.params[0]);
    if (!res) return (void)w.error(res.error());
    e.events().publish({"network", "destroy", (*net)["Id"].get<std::string>(),
                        {{"name", (*net)["Name"].get<std::string>()}, {"type", "bridge"}}, 0});
    (void)w.send(204, "", "");
  });
  r.add("POST", "/networks/{id}/connect", [&e](Request& q, ResponseWriter& w) {
    auto body = q.json_body();
    if (!body) return (void)w.error(body.error());
    reply(w, e.network_connect(q.params[0], body->value("Container", ""),
                               body->value("EndpointConfig", nlohmann::json::object())),
          200);
  });
  r.add("POST", "/networks/{id}/disconnect", [&e](Request& q, ResponseWriter& w) {
    auto body = q.json_body();
    if (!body) return (void)w.error(body.error());
    reply(w, e.network_disconnect(q.params[0], body->value("Container", ""), body->value("Force", false)), 200);
  });
}

}  // namespace berth::server
