// The merged, canonical, path-resolved tree → the typed model, with the
// schema's type and key checks (Fields).
#pragma once

#include <string>

#include "base/error.h"
#include "compose/model.h"
#include "compose/tree.h"

namespace berth::compose {

Result<Service> convert_service(const std::string& name, const Node& node);
Result<NetworkConfig> convert_network(const std::string& name, const Node& node);
Result<VolumeConfig> convert_volume(const std::string& name, const Node& node);
// `kind` is "configs" or "secrets".
Result<FileObjectConfig> convert_file_object(const std::string& kind, const std::string& name, const Node& node);

}  // namespace berth::compose
