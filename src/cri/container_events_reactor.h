// GetContainerEvents on gRPC's callback API: a client that goes away cancels
// the watch at once (OnCancel), where the synchronous API could only notice
// it by waking up to ask.
#pragma once

#include <memory>

#include <grpcpp/grpcpp.h>

#include "cri/pod_backend.h"

namespace berth::cri {

// Returns a reactor that deletes itself when the RPC is done.
grpc::ServerWriteReactor<rt::ContainerEventResponse>* start_container_events(
    std::unique_ptr<ContainerEventWatch> watch);

}  // namespace berth::cri
