// The texts the legacy builder writes into an image's history ("CreatedBy"),
// which users read in `docker history`: Go's %q and %v renderings of the
// step's values, byte for byte. And the canonical text of a config, for the
// cache key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/container_spec.h"

namespace berth::build {

std::string go_quote_list(const std::vector<std::string>& v);  // %q of []string: ["a" "b"]
std::string go_list(const std::vector<std::string>& v);        // %v of []string: [a b]
std::string go_duration(int64_t ns);                           // time.Duration.String()
// %q of *container.HealthConfig, as dockerd 20.10 writes HEALTHCHECK steps.
std::string healthcheck_text(const model::Healthcheck& h);
// Every field a step can change, in a fixed order: equal configs, equal text.
std::string canonical_config(const model::ContainerConfig& c);

}  // namespace berth::build
