#include "cri/pods/status.h"

namespace berth::cri {

grpc::StatusCode grpc_code_for(Errc code) {
  switch (code) {
    case Errc::NotFound: return grpc::StatusCode::NOT_FOUND;
    case Errc::AlreadyExists: return grpc::StatusCode::ALREADY_EXISTS;
    case Errc::InvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case Errc::Conflict: return grpc::StatusCode::FAILED_PRECONDITION;
    case Errc::PermissionDenied: return grpc::StatusCode::PERMISSION_DENIED;
    case Errc::Unavailable: return grpc::StatusCode::UNAVAILABLE;
    case Errc::Unsupported: return grpc::StatusCode::UNIMPLEMENTED;
    case Errc::Internal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::UNKNOWN;
}

}  // namespace berth::cri
