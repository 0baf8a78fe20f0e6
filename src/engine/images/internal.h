// Shared by the files of ImageBackend (one per image verb); nothing else
// includes it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"
#include "engine/images/image_backend.h"
#include "metadata/image_store.h"

namespace berth::engine::images {

using ojson = nlohmann::ordered_json;

// The Labels of a config blob's "config" block; empty when it has none.
std::map<std::string, std::string> labels_from_config(std::string_view config_bytes);
// Image IDs that are some image's parent.
std::set<std::string> parents_of(const std::vector<metadata::ImageSummary>& all);
// Copies the whole body into `file` (reporting progress against `total`,
// -1 when unknown) and rewinds it.
Result<UniqueFd> spool(Result<UniqueFd> file, const BodyReader& body, int64_t total,
                       const ImageBackend::Progress& progress);
Result<void> rewind_fd(int fd);

}  // namespace berth::engine::images
