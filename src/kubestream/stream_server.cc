#include "kubestream/stream_server.h"

namespace berth::kubestream {

// Replaced by the HTTP server in the next commits; until then the CRI side
// gets a clear error rather than a URL nobody serves.
Result<std::unique_ptr<StreamServer>> StreamServer::start(ServerOptions, StreamRuntime&) {
  return fail(Errc::Unsupported, "the CRI streaming server is not built yet");
}

}  // namespace berth::kubestream
