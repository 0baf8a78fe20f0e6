// Shorthands for the pod side's own refusals; berth's errors become statuses
// through cri/status.h (to_status).
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "cri/status.h"

namespace berth::cri {

inline grpc::Status invalid_argument(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}
inline grpc::Status not_found(const std::string& message) { return grpc::Status(grpc::StatusCode::NOT_FOUND, message); }

}  // namespace berth::cri
