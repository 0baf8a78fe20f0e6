// Events as Docker's /events stream shows them, and its filters.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/event.h"

namespace berth::dockerapi {

// Docker's wire form: {"status","id","from","Type","Action","Actor":{"ID","Attributes"},
// "scope":"local","time","timeNano"} ("status"/"id"/"from" only for containers and images).
nlohmann::json render_event(const model::Event& e);

// Docker's /events filters: type, event (action), container, image, label,
// daemon; values of one key are OR'ed, keys AND'ed.
struct EventFilter {
  std::map<std::string, std::vector<std::string>> by_key;
  bool matches(const model::Event& e) const;
  // From the `filters` query parameter (JSON {"key":["v",...]} or the old {"key":{"v":true}}).
  static std::optional<EventFilter> parse(const std::string& json);
};

}  // namespace berth::dockerapi
