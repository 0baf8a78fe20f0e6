// `docker export`: a container's filesystem — its writable snapshot over the
// image's layers — as one flat tar, read from the layer directories without
// mounting anything.
#pragma once

#include <string>

#include "base/error.h"
#include "image/service.h"
#include "layer/layer.h"

namespace berth::image {

// The layer directories (top first: the writable upper dir, then the image's
// layers) behind a snapshot's mount description.
Result<std::vector<std::string>> layer_roots(const std::vector<snapshot::Mount>& mounts, const std::string& key);

Result<layer::WriteResult> export_container_fs(ImageService& svc, const std::string& snapshot_key, int fd);

}  // namespace berth::image
