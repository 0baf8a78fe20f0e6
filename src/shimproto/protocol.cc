#include "shimproto/protocol.h"

#include <sys/uio.h>

#include "base/fd_io.h"

namespace berth::shimproto {
namespace {

// nlohmann throws on a wrong type; the protocol's callers get errors as values.
template <class T>
Result<T> field(const nlohmann::json& j, const char* name, const char* what) {
  try {
    return j.at(name).get<T>();
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::InvalidArgument, std::string(what) + ": field \"" + name + "\": " + e.what());
  }
}

}  // namespace

nlohmann::json ExitStatus::to_json() const {
  return {{"exit_code", exit_code}, {"oom_killed", oom_killed}, {"finished_at", finished_at}};
}

Result<ExitStatus> ExitStatus::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail(Errc::InvalidArgument, "exit status: not a JSON object");
  ExitStatus s;
  s.exit_code = TRY(field<int>(j, "exit_code", "exit status"));
  s.oom_killed = TRY(field<bool>(j, "oom_killed", "exit status"));
  s.finished_at = TRY(field<std::string>(j, "finished_at", "exit status"));
  return s;
}

nlohmann::json ShimState::to_json() const {
  nlohmann::json j = {{"pid", pid}};
  if (exited) j["exited"] = exited->to_json();
  return j;
}

Result<ShimState> ShimState::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail(Errc::InvalidArgument, "shim state: not a JSON object");
  ShimState s;
  s.pid = TRY(field<pid_t>(j, "pid", "shim state"));
  if (auto it = j.find("exited"); it != j.end() && !it->is_null()) s.exited = TRY(ExitStatus::from_json(*it));
  return s;
}

void encode_header(Frame type, uint32_t length, char out[kHeaderSize]) {
  out[0] = static_cast<char>(type);
  out[1] = out[2] = out[3] = 0;
  out[4] = static_cast<char>(length >> 24);
  out[5] = static_cast<char>(length >> 16);
  out[6] = static_cast<char>(length >> 8);
  out[7] = static_cast<char>(length);
}

std::string encode_frame(Frame type, std::string_view payload) {
  std::string out(kHeaderSize, '\0');
  encode_header(type, static_cast<uint32_t>(payload.size()), out.data());
  out.append(payload);
  return out;
}

void FrameDecoder::feed(std::string_view bytes) {
  // Drop what was consumed before growing, so the buffer stays one frame big.
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

Result<std::optional<std::pair<Frame, std::string>>> FrameDecoder::next() {
  if (buf_.size() - pos_ < kHeaderSize) return std::nullopt;
  const auto* h = reinterpret_cast<const unsigned char*>(buf_.data() + pos_);
  if (h[1] != 0 || h[2] != 0 || h[3] != 0)
    return fail(Errc::InvalidArgument, "shim protocol: non-zero padding in a frame header (type " +
                                           std::to_string(h[0]) + ")");
  uint32_t len = (uint32_t{h[4]} << 24) | (uint32_t{h[5]} << 16) | (uint32_t{h[6]} << 8) | uint32_t{h[7]};
  if (len > kMaxPayload)
    return fail(Errc::InvalidArgument, "shim protocol: frame payload of " + std::to_string(len) +
                                           " bytes exceeds the limit of " + std::to_string(kMaxPayload));
  if (buf_.size() - pos_ - kHeaderSize < len) return std::nullopt;
  auto type = static_cast<Frame>(h[0]);
  std::string payload = buf_.substr(pos_ + kHeaderSize, len);
  pos_ += kHeaderSize + len;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  return std::make_pair(type, std::move(payload));
}

Result<void> write_frame(int fd, Frame type, std::string_view payload) {
  if (payload.size() > kMaxPayload)
    return fail(Errc::InvalidArgument, "shim protocol: payload of " + std::to_string(payload.size()) + " bytes is too large");
  char header[kHeaderSize];
  encode_header(type, static_cast<uint32_t>(payload.size()), header);
  iovec iov[2] = {{header, kHeaderSize}, {const_cast<char*>(payload.data()), payload.size()}};
  return write_all_iov(fd, iov, 2, "writing a shim frame");
}

Result<std::pair<Frame, std::string>> read_frame(int fd) {
  auto read_exact = [fd](char* p, size_t len, bool first) -> Result<void> {
    size_t got = TRY(read_full(fd, p, len, "reading a shim frame"));
    if (got < len)
      return fail(Errc::Unavailable, first && got == 0 ? "shim connection closed"
                                                        : "shim connection closed inside a frame");
    return {};
  };
  char header[kHeaderSize];
  TRYV(read_exact(header, kHeaderSize, true));
  FrameDecoder d;
  d.feed(std::string_view(header, kHeaderSize));
  auto early = TRY(d.next());  // validates the header; complete only for an empty payload
  if (early) return std::move(*early);
  auto* h = reinterpret_cast<unsigned char*>(header);
  uint32_t len = (uint32_t{h[4]} << 24) | (uint32_t{h[5]} << 16) | (uint32_t{h[6]} << 8) | uint32_t{h[7]};
  std::string payload(len, '\0');
  TRYV(read_exact(payload.data(), len, false));
  return std::make_pair(static_cast<Frame>(h[0]), std::move(payload));
}

}  // namespace berth::shimproto
