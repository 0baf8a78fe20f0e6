// Fuzz target: what the host reads from a guest (and the agent from the host)
// over the vm agent channel (src/vmproto). The input is fed to one
// FrameDecoder in chunks whose sizes come from the input itself; every frame's
// payload is then read as each JSON message type. Checks: no crash, leak or
// UB; the decoder hands back exactly the bytes it was fed (re-encoding the
// frames gives the input's prefix); a payload that decodes as a message
// encodes again and decodes to the same JSON.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "vmproto/frame.h"
#include "vmproto/messages.h"

using namespace berth::vmproto;

namespace {

template <class T>
void message(const nlohmann::json& j) {
  auto m = T::from_json(j);
  if (!m) return;
  nlohmann::json once = m->to_json();
  auto again = T::from_json(once);
  FUZZ_CHECK(again.has_value(), "a decoded message does not decode after encoding: " + again.error().message);
  FUZZ_CHECK(again->to_json() == once, "a message changed in a round trip");
}

void payload(const std::string& p) {
  auto j = parse_json(p, "fuzz");
  if (!j) return;
  message<Hello>(*j);
  message<Request>(*j);
  message<Reply>(*j);
  message<TtySize>(*j);
  message<CreateContainer>(*j);
  message<ContainerRef>(*j);
  message<ExecProcess>(*j);
  message<SignalProcess>(*j);
  message<WaitProcess>(*j);
  message<ExitStatus>(*j);
  message<ContainerStats>(*j);
  message<NetworkConfig>(*j);
  if (auto r = Request::from_json(*j)) message<CreateContainer>(r->args);
  (void)dump_json(*j);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  FrameDecoder d;
  std::string reencoded;
  size_t fed = 0, i = 0;
  bool failed = false;
  while (fed < in.size() && !failed) {
    // Chunk sizes from the input's own bytes, so splits vary with it.
    size_t chunk = 1 + static_cast<unsigned char>(in[i++ % in.size()]) % 97;
    chunk = std::min(chunk, in.size() - fed);
    d.feed(in.substr(fed, chunk));
    fed += chunk;
    for (;;) {
      auto f = d.next();
      if (!f) {
        failed = true;
        break;
      }
      if (!*f) break;
      FUZZ_CHECK((*f)->payload.size() <= kMaxPayload, "a payload over the limit was returned");
      reencoded += encode_frame((*f)->type, (*f)->stream, (*f)->payload);
      payload((*f)->payload);
    }
  }
  FUZZ_CHECK(reencoded.size() <= in.size() && in.substr(0, reencoded.size()) == reencoded,
             "re-encoded frames are not the input's prefix");
  if (!failed) FUZZ_CHECK(reencoded.size() + d.buffered() == in.size(), "the decoder lost or invented bytes");
  return 0;
}
