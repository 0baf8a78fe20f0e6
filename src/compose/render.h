// The resolved project as `docker compose config` prints it: `name` first,
// then services (each service's keys sorted, nested objects in compose-go's
// field order), networks, volumes, secrets, configs and x-* extensions;
// YAML in go-yaml's style (2-space indent, quoting only where needed) or
// JSON (4-space indent, as json.MarshalIndent).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "compose/model.h"

namespace berth::compose {

using OrderedJson = nlohmann::ordered_json;

OrderedJson project_to_json(const Project& project);
OrderedJson service_to_json(const Service& service);

std::string render_yaml(const Project& project);
std::string render_json(const Project& project);

// Go's time.Duration.String(): "1m30s", "500ms", "0s".
std::string go_duration_string(Nanoseconds ns);

}  // namespace berth::compose
