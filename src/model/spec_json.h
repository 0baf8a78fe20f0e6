// berth's own stored form of a ContainerSpec (part of the container record,
// whose schema version the engine keeps). Field names are the C++ names; this
// is not Docker's JSON (that lives at the API edge, src/dockerapi).
#pragma once

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/container_spec.h"

namespace berth::model {

nlohmann::json spec_to_json(const ContainerSpec& spec);
// InvalidArgument naming what is wrong when the document is not a stored spec.
Result<ContainerSpec> spec_from_json(const nlohmann::json& j);

}  // namespace berth::model
