// berth's errors as gRPC statuses: the code from the error's class, the
// message berth's own (never a library's exception text).
#pragma once

#include <string>

#include <grpcpp/grpcpp.h>

#include "base/error.h"

namespace berth::cri {

grpc::StatusCode status_code(Errc code);
grpc::Status to_status(const Error& error);
// "RPC: what failed" with the code of the error.
grpc::Status to_status(const Error& error, const std::string& rpc);

}  // namespace berth::cri
