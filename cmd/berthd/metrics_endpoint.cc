#include "metrics_endpoint.h"

#include <arpa/inet.h>

#include "base/log.h"
#include "stats/prom_text.h"

namespace berthd {

using namespace berth;

namespace {

// 127.0.0.0/8, ::1 and "localhost" stay on this host.
bool loopback(const std::string& addr) {
  std::string host = addr.substr(0, addr.rfind(':'));
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace

Result<std::unique_ptr<server::Server>> start_metrics_server(const std::string& addr, engine::Engine& engine) {
  server::Router router;
  router.add("GET", "/metrics", [&engine](server::Request&, server::ResponseWriter& w) -> Result<void> {
    return w.send(200, stats::prom::kContentType, engine.metrics_text());
  });
  auto srv = std::make_unique<server::Server>(std::move(router), server::ServerOptions{});
  TRYV(srv->listen("tcp://" + addr));
  if (!loopback(addr))
    log::warn("metrics-addr {} is reachable from other hosts: /metrics lists every container's name, image and labels "
              "without authentication (as dockerd's metrics-addr); prefer 127.0.0.1",
              addr);
  log::info("metrics API listening on {}", srv->addresses().empty() ? addr : srv->addresses()[0]);
  return srv;
}

}  // namespace berthd
