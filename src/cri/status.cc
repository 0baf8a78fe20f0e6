#include "cri/status.h"

namespace berth::cri {

grpc::StatusCode status_code(Errc code) {
  switch (code) {
    case Errc::NotFound: return grpc::StatusCode::NOT_FOUND;
    case Errc::AlreadyExists: return grpc::StatusCode::ALREADY_EXISTS;
    case Errc::InvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    // A conflict is a state the caller can change (stop the container first).
    case Errc::Conflict: return grpc::StatusCode::FAILED_PRECONDITION;
    case Errc::PermissionDenied: return grpc::StatusCode::PERMISSION_DENIED;
    case Errc::Unavailable: return grpc::StatusCode::UNAVAILABLE;
    case Errc::Unsupported: return grpc::StatusCode::UNIMPLEMENTED;
    case Errc::Internal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::UNKNOWN;
}

grpc::Status to_status(const Error& error) { return grpc::Status(status_code(error.code), error.str()); }

grpc::Status to_status(const Error& error, const std::string& rpc) {
  return grpc::Status(status_code(error.code), rpc + ": " + error.str());
}

}  // namespace berth::cri
