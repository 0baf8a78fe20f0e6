// docker-archive: what `docker save` writes and `docker load` reads.
// Export writes the Docker 20.10 form: manifest.json [{Config, RepoTags,
// Layers}], repositories, <hex>.json (the config bytes as stored, so the image
// ID survives), and per layer <v1id>/{VERSION,json,layer.tar} with the layer
// uncompressed. Import reads that form, newer ones whose manifest.json points
// into blobs/sha256/, and bare OCI layouts (index.json + blobs).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/service.h"

namespace berth::image {

// Writes the images named by `refs` (references or IDs) as a tar to fd.
// RepoTags lists a reference when it was given as one (as `docker save NAME:TAG`).
Result<void> export_docker_archive(ImageService& svc, const std::vector<std::string>& refs, int fd);

// Loads every image in the archive (plain or compressed tar), tagged by its RepoTags.
Result<std::vector<ImageInfo>> import_docker_archive(ImageService& svc, int fd);

}  // namespace berth::image
