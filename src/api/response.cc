#include <fmt/format.h>

#include "api/client.h"
#include "base/strings.h"

namespace berth::api {

std::string Response::error_message() const {
  auto it = headers.find("content-type");
  bool is_json = it != headers.end() && it->second.find("json") != std::string::npos;
  if (is_json || (!body.empty() && body[0] == '{')) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("message") && j["message"].is_string()) return j["message"].get<std::string>();
  }
  std::string text(trim(body));
  if (text.empty()) return fmt::format("the daemon answered {} with no message", status);
  return text;
}

Result<nlohmann::json> Response::json() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded())
    return fail(Errc::Internal, fmt::format("the daemon's answer (status {}) is not valid JSON: {:.200}", status, body));
  return j;
}

Errc errc_for_status(int status) {
  switch (status) {
    case 400: return Errc::InvalidArgument;
    case 403: return Errc::PermissionDenied;
    case 404: return Errc::NotFound;
    case 409: return Errc::Conflict;
    case 501: return Errc::Unsupported;
    case 503: return Errc::Unavailable;
    default: return Errc::Internal;
  }
}

void StreamDemux::feed(std::string_view bytes, const std::function<void(int, std::string_view)>& out) {
  // Whole frames straight from the input when nothing is pending; the rest
  // waits in buf_ for its remaining bytes.
  std::string_view in = bytes;
  bool pending = !buf_.empty();
  if (pending) {
    buf_.append(bytes);
    in = buf_;
  }
  size_t pos = 0;
  while (in.size() - pos >= 8) {
    const auto* h = reinterpret_cast<const unsigned char*>(in.data() + pos);
    size_t len = (size_t{h[4]} << 24) | (size_t{h[5]} << 16) | (size_t{h[6]} << 8) | size_t{h[7]};
    if (in.size() - pos - 8 < len) break;
    out(h[0], in.substr(pos + 8, len));
    pos += 8 + len;
  }
  if (pending)
    buf_.erase(0, pos);
  else
    buf_.assign(in.substr(pos));
}

}  // namespace berth::api
