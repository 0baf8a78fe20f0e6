// Fuzz target: the VM pod keeper's router (src/vm/pod_mux.h) under what a
// guest (hostile: its agent's frames) and the pod's runners send. The input is
// a script: each step's first byte picks attach, detach, a frame from a runner
// or a frame from the agent; a frame's type and stream come from the next
// bytes and its payload is a length-prefixed slice (often a Request or Reply
// built around fuzzed ids, so the routing paths are reached). Checks: no
// crash, leak or UB; nothing reaches a runner that is not its own (a Reply's
// id or a frame's stream in its slot); a runner's frame reaches the agent only
// unchanged and only in its ranges; the agent never gets a guest-to-host frame.
#include <cstdint>
#include <set>
#include <string>

#include "fuzz_check.h"
#include "vm/pod_mux.h"
#include "vmproto/messages.h"

using namespace berth;
using vmproto::Frame;

namespace {

struct Input {
  std::string_view in;
  size_t pos = 0;
  bool done() const { return pos >= in.size(); }
  uint8_t byte() { return done() ? 0 : static_cast<uint8_t>(in[pos++]); }
  uint32_t u32() { return byte() | (uint32_t(byte()) << 8) | (uint32_t(byte()) << 16) | (uint32_t(byte()) << 24); }
  std::string bytes(size_t n) {
    n = std::min(n, in.size() - std::min(pos, in.size()));
    std::string s(in.substr(pos, n));
    pos += n;
    return s;
  }
};

const char* kOps[] = {"create", "start", "exec", "signal", "wait", "stats", "pause", "resume", "delete", "network",
                      "shutdown", "mount", "bogus"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{std::string_view(reinterpret_cast<const char*>(data), size)};
  std::set<uint32_t> attached;
  std::string last_runner_payload;
  uint32_t last_runner_slot = 0;
  bool expect_forward = false;
  vm::PodMux mux({[&](Frame t, uint32_t stream, std::string_view p) {
                    FUZZ_CHECK(t == Frame::Request || t == Frame::Stdin || t == Frame::StdinEof || t == Frame::Resize,
                               "a guest-to-host frame went to the agent");
                    if (t == Frame::Request) {
                      auto r = vmproto::parse_message<vmproto::Request>(p, "fuzz");
                      FUZZ_CHECK(r.has_value(), "the agent got a request that does not parse");
                      uint32_t slot = vm::slot_of_id(r->id);
                      if (slot != 0) {
                        FUZZ_CHECK(expect_forward && slot == last_runner_slot, "a request in another slot's ids");
                        FUZZ_CHECK(p == last_runner_payload, "a runner's request was changed");
                      }
                    } else {
                      FUZZ_CHECK(expect_forward && vm::slot_of_stream(stream) == last_runner_slot && stream != 0,
                                 "stdin into another slot's stream");
                    }
                  },
                  [&](uint32_t slot, Frame t, uint32_t stream, std::string_view p) {
                    FUZZ_CHECK(attached.count(slot), "a frame to a runner that is not attached");
                    if (t == Frame::Reply) {
                      auto r = vmproto::parse_message<vmproto::Reply>(p, "fuzz");
                      FUZZ_CHECK(r.has_value(), "a runner got a reply that does not parse");
                      // Its own slot's, or the refusal of what it just sent (whatever id that had).
                      FUZZ_CHECK(vm::slot_of_id(r->id) == slot ||
                                     (expect_forward && slot == last_runner_slot && r->error.has_value()),
                                 "a reply to the wrong runner");
                    } else {
                      FUZZ_CHECK(vm::slot_of_stream(stream) == slot, "a stream frame to the wrong runner");
                    }
                  }});
  while (!in.done()) {
    uint8_t op = in.byte() % 5;
    if (op == 0) {
      if (uint32_t s = mux.attach()) attached.insert(s);
      continue;
    }
    if (op == 1) {
      if (attached.empty()) continue;
      uint32_t s = *std::next(attached.begin(), in.byte() % attached.size());
      attached.erase(s);
      mux.detach(s);
      continue;
    }
    vmproto::FrameData f;
    f.type = static_cast<Frame>(in.byte());
    uint8_t slot_pick = in.byte();
    uint32_t slot = attached.empty() || slot_pick & 0x80 ? slot_pick % 4 : *std::next(attached.begin(), slot_pick % attached.size());
    f.stream = in.byte() & 1 ? vm::slot_stream(slot, in.byte() % 4) : in.u32();
    uint8_t shape = in.byte() % 3;
    if (shape == 0) {
      f.payload = in.bytes(in.byte());
    } else {
      uint64_t id = in.byte() & 1 ? vm::slot_id(in.byte() % 4, in.byte() % 8) : (uint64_t(in.u32()) << 32 | in.u32());
      std::string cid = "c" + std::to_string(in.byte() % 4);
      nlohmann::json args = {{"id", cid}, {"container", cid}, {"stream", vm::slot_stream(in.byte() % 4, in.byte() % 4)},
                             {"signal", 9}, {"all", true}, {"config", {{"root", {{"path", "/"}}}}}};
      if (shape == 1) {
        f.type = Frame::Request;
        f.payload = vmproto::dump_json(vmproto::Request{id, kOps[in.byte() % std::size(kOps)], args}.to_json());
      } else {
        f.type = Frame::Reply;
        f.payload = vmproto::dump_json(
            (in.byte() & 1 ? vmproto::Reply::ok(id) : vmproto::Reply::failed(id, Error{Errc::Internal, 0, "x"})).to_json());
      }
    }
    if (op == 2 || op == 3) {
      last_runner_slot = slot;
      last_runner_payload = f.payload;
      expect_forward = true;
      mux.from_runner(slot, f);
      expect_forward = false;
    } else {
      mux.from_agent(f);
    }
  }
  return 0;
}
