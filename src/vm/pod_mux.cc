#include "vm/pod_mux.h"

#include <csignal>

#include "vmproto/messages.h"

namespace berth::vm {

using vmproto::Frame;

uint32_t PodMux::attach() {
  // Slots go round; one still attached or being cleaned is skipped.
  for (uint32_t tries = 0; tries < kMaxSlot; ++tries) {
    uint32_t s = next_slot_;
    next_slot_ = next_slot_ == kMaxSlot ? 1 : next_slot_ + 1;
    if (!slot_in_use(s)) {
      attached_.insert(s);
      return s;
    }
  }
  return 0;
}

void PodMux::detach(uint32_t slot) {
  if (!attached_.erase(slot)) return;
  std::vector<std::string> mine;
  for (const auto& [id, o] : owner_)
    if (o.slot == slot) mine.push_back(id);
  if (mine.empty()) return;
  cleaning_[slot] = mine.size();
  for (const auto& id : mine) cleanup_step(slot, id, "kill");
}

void PodMux::cleanup_step(uint32_t slot, const std::string& container, const std::string& stage) {
  auto it = owner_.find(container);
  // Gone meanwhile (its create failed, or its delete went through).
  if (it == owner_.end() || it->second.slot != slot) return cleaned(slot, container);
  uint32_t stream = it->second.init_stream;
  if (stage == "kill") {
    vmproto::SignalProcess s{stream, SIGKILL, true};
    keeper_request("signal", vmproto::dump_json(s.to_json()),
                   [this, slot, container](std::string_view) { cleanup_step(slot, container, "wait"); });
  } else if (stage == "wait") {
    vmproto::WaitProcess w{stream};
    keeper_request("wait", vmproto::dump_json(w.to_json()),
                   [this, slot, container](std::string_view) { cleanup_step(slot, container, "delete"); });
  } else {
    keeper_request("delete", vmproto::dump_json(vmproto::ContainerRef{container}.to_json()),
                   [this, slot, container](std::string_view) { cleaned(slot, container); });
  }
}

void PodMux::cleaned(uint32_t slot, const std::string& container) {
  auto it = owner_.find(container);
  if (it != owner_.end() && it->second.slot == slot) owner_.erase(it);
  auto c = cleaning_.find(slot);
  if (c != cleaning_.end() && --c->second == 0) cleaning_.erase(c);
}

void PodMux::keeper_request(const std::string& op, const std::string& args_json,
                            std::function<void(std::string_view)> done) {
  uint64_t id = next_own_++;
  auto args = nlohmann::json::parse(args_json, nullptr, false);
  vmproto::Request r{id, op, args.is_discarded() ? nlohmann::json::object() : args};
  own_[id] = std::move(done);
  out_.to_agent(Frame::Request, vmproto::kControlStream, vmproto::dump_json(r.to_json()));
}

std::set<std::string> PodMux::containers_of(uint32_t slot) const {
  std::set<std::string> out;
  for (const auto& [id, o] : owner_)
    if (o.slot == slot) out.insert(id);
  return out;
}

void PodMux::refuse(uint32_t slot, uint64_t id, const std::string& why) {
  auto reply = vmproto::Reply::failed(id, Error{Errc::PermissionDenied, 0, "the pod's VM keeper refused: " + why});
  out_.to_runner(slot, Frame::Reply, vmproto::kControlStream, vmproto::dump_json(reply.to_json()));
}

void PodMux::from_runner(uint32_t slot, const vmproto::FrameData& f) {
  if (!attached_.count(slot)) return;
  switch (f.type) {
    case Frame::Request: return request_from_runner(slot, f);
    case Frame::Stdin:
    case Frame::StdinEof:
    case Frame::Resize:
      // Only into its own processes.
      if (f.stream != vmproto::kControlStream && slot_of_stream(f.stream) == slot) out_.to_agent(f.type, f.stream, f.payload);
      return;
    default:
      return;  // Hello and guest-to-host frames mean nothing from a runner
  }
}

namespace {

// A field of a request's args, when it has the type.
std::string str_arg(const nlohmann::json& args, const char* key) {
  return args.is_object() && args.contains(key) && args[key].is_string() ? args[key].get<std::string>() : "";
}
uint32_t stream_arg(const nlohmann::json& args) {
  if (!args.is_object() || !args.contains("stream") || !args["stream"].is_number_unsigned()) return 0;
  uint64_t s = args["stream"].get<uint64_t>();
  return s > 0xffffffffu ? 0 : static_cast<uint32_t>(s);
}

}  // namespace

void PodMux::request_from_runner(uint32_t slot, const vmproto::FrameData& f) {
  auto req = vmproto::parse_message<vmproto::Request>(f.payload, "request");
  if (!req) return;  // no id to answer; the agent would refuse it alike
  if (slot_of_id(req->id) != slot)
    return refuse(slot, req->id, "request id " + std::to_string(req->id) + " is outside this runner's range");
  auto own_stream = [&](uint32_t s) { return s != 0 && slot_of_stream(s) == slot; };
  auto owns = [&](const std::string& id) {
    auto it = owner_.find(id);
    return it != owner_.end() && it->second.slot == slot;
  };
  const auto& a = req->args;
  const std::string& op = req->op;
  if (op == "create") {
    std::string id = str_arg(a, "id");
    uint32_t s = stream_arg(a);
    if (!own_stream(s)) return refuse(slot, req->id, "create: stream " + std::to_string(s) + " is not this runner's");
    if (id.empty()) return refuse(slot, req->id, "create: no container id");
    if (owner_.count(id)) return refuse(slot, req->id, "create: container \"" + id + "\" exists in the pod");
    owner_[id] = Owned{slot, s};
    watched_[req->id] = {op, id};  // a failed create owns nothing
  } else if (op == "start" || op == "stats" || op == "pause" || op == "resume" || op == "delete") {
    std::string id = str_arg(a, "id");
    if (!owns(id)) return refuse(slot, req->id, op + ": container \"" + id + "\" is not this runner's");
    if (op == "delete") watched_[req->id] = {op, id};  // a deleted container is nobody's
  } else if (op == "exec") {
    if (!owns(str_arg(a, "container")))
      return refuse(slot, req->id, "exec: container \"" + str_arg(a, "container") + "\" is not this runner's");
    if (!own_stream(stream_arg(a)))
      return refuse(slot, req->id, "exec: stream " + std::to_string(stream_arg(a)) + " is not this runner's");
  } else if (op == "signal" || op == "wait") {
    if (!own_stream(stream_arg(a)))
      return refuse(slot, req->id, op + ": stream " + std::to_string(stream_arg(a)) + " is not this runner's");
  } else {
    // network, shutdown: the whole VM's, the keeper's alone; and anything unknown.
    return refuse(slot, req->id, "\"" + op.substr(0, 64) + "\" is the keeper's, not a container's");
  }
  out_.to_agent(Frame::Request, vmproto::kControlStream, f.payload);
}

void PodMux::from_agent(const vmproto::FrameData& f) {
  if (f.type == Frame::Hello) return;
  if (f.type == Frame::Reply) {
    auto reply = vmproto::parse_message<vmproto::Reply>(f.payload, "agent reply");
    if (!reply) return;
    uint32_t slot = slot_of_id(reply->id);
    if (slot == 0) {
      auto it = own_.find(reply->id);
      if (it == own_.end()) return;
      auto done = std::move(it->second);
      own_.erase(it);
      if (done) done(f.payload);
      return;
    }
    if (auto w = watched_.find(reply->id); w != watched_.end()) {
      const auto& [op, container] = w->second;
      auto o = owner_.find(container);
      bool gone = op == "create" ? reply->error.has_value() : !reply->error;
      if (gone && o != owner_.end() && o->second.slot == slot) owner_.erase(o);
      watched_.erase(w);
    }
    if (attached_.count(slot)) out_.to_runner(slot, f.type, f.stream, f.payload);
    return;
  }
  if (f.stream == vmproto::kControlStream) return;
  uint32_t slot = slot_of_stream(f.stream);
  if (attached_.count(slot)) out_.to_runner(slot, f.type, f.stream, f.payload);
}

}  // namespace berth::vm
