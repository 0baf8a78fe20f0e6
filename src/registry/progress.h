// Docker's pull/push progress stream: one JSON object per line, as dockerd
// writes them (jsonmessage.JSONMessage) and the docker CLI draws them:
//   {"status":"Pulling from library/busybox","id":"latest"}
//   {"status":"Pulling fs layer","progressDetail":{},"id":"a1b2c3d4e5f6"}
//   {"status":"Downloading","progressDetail":{"current":1024,"total":2048},"progress":"[=>   ] 1.024kB/2.048kB","id":"a1b2c3d4e5f6"}
//   {"status":"Digest: sha256:..."}
//   {"errorDetail":{"message":"..."},"error":"..."}
// Layer ids are the first 12 hex digits of the blob digest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::registry {

struct ProgressMessage {
  std::string status;
  std::string id;                       // omitted when empty
  std::optional<uint64_t> current;      // with total: a progressDetail and a progress bar
  std::optional<uint64_t> total;
  bool empty_detail = false;            // "progressDetail":{} (Docker sends it on layer statuses)
  std::string aux_json;                 // a JSON object: {"progressDetail":{},"aux":...} (a push's result)
};

// One line, "\r\n"-terminated as dockerd's, in Docker's key order: status, progressDetail,
// progress, id. The bar is Docker's (jsonmessage.JSONProgress.String): 50
// columns wide, "=" and ">" and spaces, then "current/total" in decimal
// units as go-units HumanSize prints them ("1.024kB", "2.5MB", "100B").
std::string format_progress(const ProgressMessage& m);
std::string format_error(std::string_view message);  // {"errorDetail":{"message":M},"error":M}

// go-units HumanSizeWithPrecision(size, 4): "0B", "999B", "1.024kB", "12.35MB".
std::string human_size(double bytes);

// "sha256:abcdef0123456789..." -> "abcdef012345" (the id Docker shows for a layer).
std::string short_id(std::string_view digest);

}  // namespace berth::registry
