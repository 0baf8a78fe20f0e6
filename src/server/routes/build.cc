// POST /build (the legacy builder's API) over backend::BuildBackend.
#include "base/strings.h"
#include "base/go_json.h"
#include "server/routes/routes.h"

namespace berth::server {
namespace {

Result<void> build(backend::BuildBackend& b, Request& req, ResponseWriter& w) {
  backend::BuildRequest r;
  r.dockerfile = req.q("dockerfile").value_or("Dockerfile");
  for (auto [it, end] = req.query.equal_range("t"); it != end; ++it) r.tags.push_back(it->second);
  r.target = req.q("target").value_or("");
  r.no_cache = req.q_bool("nocache");
  r.rm = req.q_bool("rm", true);
  r.force_rm = req.q_bool("forcerm");
  r.pull = req.q_bool("pull");
  r.quiet = req.q_bool("q");
  for (const char* key : {"buildargs", "labels"}) {
    auto text = req.q(key);
    if (!text || text->empty()) continue;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object()) return fail(Errc::InvalidArgument, std::string(key) + ": not a JSON object");
    auto& into = std::string(key) == "labels" ? r.labels : r.build_args;
    for (const auto& [k, v] : j.items())
      if (v.is_string()) into[k] = v.get<std::string>();
  }
  bool streaming = false;
  auto progress = [&](const std::string& line) {
    if (!streaming) streaming = w.begin_stream(200, "application/json").has_value();
    return streaming && w.write_chunk(line).has_value();
  };
  TRY(b.build(r, req.read_some, progress));
  return streaming ? w.end_stream() : w.send(200, "application/json", "");
}

}  // namespace

void add_build_routes(Router& r, backend::BuildBackend& b) {
  r.add("POST", "/build", [&b](Request& q, ResponseWriter& w) { return build(b, q, w); });
}

}  // namespace berth::server
