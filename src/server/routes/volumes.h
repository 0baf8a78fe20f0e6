// The /volumes endpoints (Docker Engine API 1.41) over volume::VolumeService:
// GET /volumes, POST /volumes/create (201), GET /volumes/{name},
// DELETE /volumes/{name}?force= (204), POST /volumes/prune.
#pragma once

#include "server/http/server.h"
#include "volume/service.h"

namespace berth::server {

void add_volume_routes(Router& router, volume::VolumeService& volumes);

}  // namespace berth::server
