// docker stats samples as Docker's JSON (API 1.41), each with the previous
// sample's CPU for rates.
#pragma once

#include <nlohmann/json.hpp>

#include "model/stats.h"

namespace berth::dockerapi {

nlohmann::json render_stats(const model::ContainerStats& sample, const model::ContainerStats* previous);

}  // namespace berth::dockerapi
