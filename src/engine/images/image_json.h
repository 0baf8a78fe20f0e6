// Docker Engine API (1.41) JSON for images, built from what the image module
// stores: `docker image inspect`, the Config/ContainerConfig blocks (Go's
// container.Config with every field, as dockerd re-marshals it), times.
// Objects are ordered_json in Go struct order so that, written with
// go::marshal, the bytes match what dockerd sends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/service.h"

namespace berth::engine::images {

// Go's container.Config from a raw config object (keys as Docker writes them);
// null when `raw` is null/absent, as dockerd shows an image without config.
nlohmann::ordered_json container_config_json(const nlohmann::json& raw);

// What the inspect view needs beyond ImageInfo (the store record's fields).
struct InspectExtras {
  int64_t size = 0;
  std::string parent;                  // "sha256:..." or empty
  nlohmann::ordered_json graph_driver;  // {"Data":..., "Name":...}
  std::string last_tag_time;           // RFC 3339; Go's zero time when empty
};

// `GET /images/{name}/json` (types.ImageInspect). `api_minor` < 42 keeps the
// fields dockerd 20.10 sends (Container, ContainerConfig, VirtualSize).
nlohmann::ordered_json inspect_json(const image::ImageInfo& info, const InspectExtras& extras,
                                    int api_minor = 41);

// Split of stored references into what the API shows: familiar tags
// ("busybox:latest") and digests ("busybox@sha256:...").
struct FamiliarRefs {
  std::vector<std::string> tags;
  std::vector<std::string> digests;
};
FamiliarRefs familiar_refs(const std::vector<std::string>& normalized_refs);

// "sha256:0123456789ab..." -> "0123456789ab" (stringid.TruncateID).
std::string short_id(std::string_view id);

}  // namespace berth::engine::images
