// /volumes/... : Docker's volume endpoints (API 1.41) over backend::VolumeBackend:
// GET /volumes, POST /volumes/create (201), GET /volumes/{name},
// DELETE /volumes/{name}?force= (204), POST /volumes/prune.
#include "dockerapi/field_reader.h"
#include "server/routes/params.h"
#include "server/routes/routes.h"

namespace berth::server {
namespace {

using backend::VolumeBackend;

Result<void> create(VolumeBackend& b, Request& req, ResponseWriter& w) {
  auto body = TRY(req.json_body());
  if (!body.is_object()) return fail(Errc::InvalidArgument, "the request body must be a JSON object");
  auto r = TRY(dockerapi::FieldReader::of(body, "VolumeCreateBody"));
  return w.json(201, TRY(b.volume_create(TRY(r.string("Name")), TRY(r.string("Driver")), TRY(r.string_map("DriverOpts")),
                                         TRY(r.string_map("Labels")))));
}

}  // namespace

void add_volume_routes(Router& r, VolumeBackend& b) {
  r.add("GET", "/volumes", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    return w.json(200, TRY(b.volume_list(TRY(filters_param(q)))));
  });
  r.add("POST", "/volumes/create", [&b](Request& q, ResponseWriter& w) { return create(b, q, w); });
  r.add("POST", "/volumes/prune", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    return w.json(200, TRY(b.volume_prune(TRY(filters_param(q)))));
  });
  r.add("GET", "/volumes/{name}", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    return w.json(200, TRY(b.volume_inspect(q.params[0])));
  });
  r.add("DELETE", "/volumes/{name}", [&b](Request& q, ResponseWriter& w) -> Result<void> {
    TRYV(b.volume_remove(q.params[0], q.q_bool("force")));
    return no_content(w, 204);
  });
}

}  // namespace berth::server
