// An engine container seen as the CRI sees it: state, times in nanoseconds,
// metadata, the kubelet's labels and annotations back from where berth keeps them.
#pragma once

#include <cstdint>
#include <string>

#include "model/container_info.h"
#include "runtime/v1/api.pb.h"

namespace berth::cri {

bool is_cri_container(const model::ContainerInfo& c);
std::string sandbox_of(const model::ContainerInfo& c);
runtime::v1::ContainerState cri_state(const model::ContainerInfo& c);
int64_t rfc3339_ns(const std::string& t);  // 0 for Go's zero time or a bad text
void fill_container(const model::ContainerInfo& c, runtime::v1::Container* out);
void fill_container_status(const model::ContainerInfo& c, runtime::v1::ContainerStatus* out);

}  // namespace berth::cri
