// The router inside a VM pod's keeper (docs/vm.md, "Pods in one VM"): one
// agent session (vmproto, one framed channel) shared by the pod's container
// runners, each on its own connection to the keeper.
//
// It routes, it does not translate. Each runner gets a slot k (1..65535),
// told in the keeper's greeting; the runner numbers its streams
// k<<16 | n (n >= 1) and its request ids k<<32 | n. A Reply goes to the
// slot in its id's high bits, a stream's frames to the slot in the stream's
// high bits; a runner's frames go to the agent unchanged. Ids with slot 0
// are the keeper's own requests.
//
// What a runner asks is checked, not trusted: its ids and streams must be in
// its slot's ranges, a container it names must be one it created (ids are
// unique in the pod), and the VM-wide requests (network, shutdown) are the
// keeper's alone. A refused request is answered at once with an error Reply.
//
// A runner that goes away leaves no container behind that no shim watches:
// each container it created gets SIGKILL (all its processes), a wait, then a
// delete, all as the keeper's own requests; its slot is reused only when
// those are answered (no stale stream frame can reach a new runner).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "vmproto/frame.h"

namespace berth::vm {

inline constexpr uint32_t kSlotStreamShift = 16;
inline constexpr uint32_t kSlotIdShift = 32;
inline constexpr uint32_t kMaxSlot = 0xffff;

inline uint32_t slot_stream(uint32_t slot, uint32_t n) { return (slot << kSlotStreamShift) | (n & 0xffff); }
inline uint64_t slot_id(uint32_t slot, uint64_t n) { return (static_cast<uint64_t>(slot) << kSlotIdShift) | (n & 0xffffffffu); }
inline uint32_t slot_of_stream(uint32_t stream) { return stream >> kSlotStreamShift; }
inline uint32_t slot_of_id(uint64_t id) { return static_cast<uint32_t>(id >> kSlotIdShift); }

class PodMux {
 public:
  struct Out {
    std::function<void(vmproto::Frame, uint32_t stream, std::string_view payload)> to_agent;
    std::function<void(uint32_t slot, vmproto::Frame, uint32_t stream, std::string_view payload)> to_runner;
  };
  explicit PodMux(Out out) : out_(std::move(out)) {}

  // A new runner: its slot, or 0 when every slot is taken.
  uint32_t attach();
  // The runner on `slot` is gone: its containers are killed and deleted.
  void detach(uint32_t slot);
  void from_runner(uint32_t slot, const vmproto::FrameData& f);
  void from_agent(const vmproto::FrameData& f);

  // A request of the keeper's own (slot 0); `done` gets the Reply's payload.
  void keeper_request(const std::string& op, const std::string& args_json,
                      std::function<void(std::string_view reply)> done = {});

  // For tests and the keeper: containers a slot owns, slots attached or
  // still being cleaned.
  std::set<std::string> containers_of(uint32_t slot) const;
  bool slot_in_use(uint32_t slot) const { return attached_.count(slot) || cleaning_.count(slot); }
  size_t attached() const { return attached_.size(); }
  size_t containers() const { return owner_.size(); }

 private:
  struct Owned {
    uint32_t slot = 0;
    uint32_t init_stream = 0;
  };
  void refuse(uint32_t slot, uint64_t id, const std::string& why);
  void request_from_runner(uint32_t slot, const vmproto::FrameData& f);
  void cleanup_step(uint32_t slot, const std::string& container, const std::string& stage);
  void cleaned(uint32_t slot, const std::string& container);

  Out out_;
  std::set<uint32_t> attached_;
  std::map<uint32_t, size_t> cleaning_;        // slot -> containers still being killed
  std::map<std::string, Owned> owner_;         // container id -> who created it
  std::map<uint64_t, std::pair<std::string, std::string>> watched_;  // runner's create/delete id -> op, container
  std::map<uint64_t, std::function<void(std::string_view)>> own_;  // keeper's requests
  uint64_t next_own_ = 1;
  uint32_t next_slot_ = 1;
};

}  // namespace berth::vm
