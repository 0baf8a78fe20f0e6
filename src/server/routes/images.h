// The /images endpoints (and the image-side 501s: build, push, search, auth,
// pull) over engine::ImageBackend, with dockerd's wire forms: JSON in Go's
// field order, JSON message streams ("\r\n"-separated) for import and load,
// a chunked tar for save.
#pragma once

#include "engine/images/image_backend.h"
#include "server/http/server.h"

namespace berth::server {

void add_image_routes(Router& router, engine::ImageBackend& images);

}  // namespace berth::server
