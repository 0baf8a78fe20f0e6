// berth's errors as gRPC statuses for the CRI: the code that fits the
// failure and the error's own plain message (never a library's text).
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "base/error.h"

namespace berth::cri {

grpc::StatusCode grpc_code_for(Errc code);
inline grpc::Status to_status(const Error& e) { return grpc::Status(grpc_code_for(e.code), e.str()); }
inline grpc::Status invalid_argument(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}
inline grpc::Status not_found(const std::string& message) { return grpc::Status(grpc::StatusCode::NOT_FOUND, message); }

}  // namespace berth::cri
