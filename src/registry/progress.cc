#include "registry/progress.h"

#include <nlohmann/json.hpp>

#include "base/go_json.h"
#include "base/go_units.h"

namespace berth::registry {
namespace {

using ojson = nlohmann::ordered_json;

// fmt's "%8v": right-aligned in 8 columns.
std::string pad8(std::string s) {
  if (s.size() < 8) s.insert(0, 8 - s.size(), ' ');
  return s;
}

// jsonmessage.JSONProgress.String() as dockerd runs it: no terminal, so the
// default width (over 110: the bar is drawn), no units, no start time.
std::string progress_text(uint64_t current, uint64_t total) {
  if (current == 0 && total == 0) return "";
  if (total == 0) return pad8(human_size(double(current)));
  int64_t percentage = int64_t(double(current) / double(total) * 100) / 2;
  if (percentage > 50) percentage = 50;
  std::string bar = "[" + std::string(size_t(percentage), '=') + ">" + std::string(size_t(50 - percentage), ' ') + "] ";
  std::string numbers = pad8(human_size(double(current)));
  if (current <= total) numbers += "/" + human_size(double(total));  // a wonky current hides the total
  return bar + numbers;
}

}  // namespace

std::string format_progress(const ProgressMessage& m) {
  // Go's json.Marshal of JSONMessage: struct order, omitempty on every field
  // (also on progressDetail's current and total), HTML-safe escapes (">" is \u003e).
  ojson j = ojson::object();
  if (!m.status.empty()) j["status"] = m.status;
  if (m.current || m.total) {
    uint64_t current = m.current.value_or(0), total = m.total.value_or(0);
    ojson detail = ojson::object();
    if (current) detail["current"] = current;
    if (total) detail["total"] = total;
    j["progressDetail"] = detail;
    if (std::string text = progress_text(current, total); !text.empty()) j["progress"] = text;
  } else if (m.empty_detail) {
    j["progressDetail"] = ojson::object();
  }
  if (!m.id.empty()) j["id"] = m.id;
  if (!m.aux_json.empty()) {
    j["progressDetail"] = ojson::object();
    j["aux"] = ojson::parse(m.aux_json, nullptr, false);
  }
  return go::marshal(j) + "\r\n";  // dockerd's streamformatter ends lines so
}

std::string format_error(std::string_view message) {
  // JSONError's message and JSONMessage's error are omitempty too.
  ojson j = ojson::object();
  j["errorDetail"] = message.empty() ? ojson::object() : ojson{{"message", message}};
  if (!message.empty()) j["error"] = message;
  return go::marshal(j) + "\r\n";  // dockerd's streamformatter ends lines so
}

std::string human_size(double bytes) { return go::human_size(bytes, 4); }

std::string short_id(std::string_view digest) {
  // stringid.TruncateID: drop the algorithm, keep 12 characters.
  if (size_t colon = digest.find(':'); colon != std::string_view::npos) digest.remove_prefix(colon + 1);
  return std::string(digest.substr(0, 12));
}

}  // namespace berth::registry
