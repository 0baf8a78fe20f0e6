// The CRI's label_selector in List* filters: every selector pair must be a
// label with that value (no set-based expressions: the kubelet sends equality only).
#pragma once

#include <string>

#include <google/protobuf/map.h>

namespace berth::cri {

inline bool labels_match(const google::protobuf::Map<std::string, std::string>& labels,
                         const google::protobuf::Map<std::string, std::string>& selector) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace berth::cri
