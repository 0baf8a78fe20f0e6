#include "server/routes/params.h"

#include "base/go_time.h"
#include "base/strings.h"

namespace berth::server {

Result<model::Filters> filters_param(const Request& req) {
  model::Filters out;
  auto text = req.q("filters");
  if (!text || text->empty()) return out;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return fail(Errc::InvalidArgument, "invalid filter: " + *text + " is not a JSON object");
  for (const auto& [key, val] : j.items()) {
    auto& values = out[key];
    if (val.is_array()) {
      for (const auto& v : val) {
        if (!v.is_string()) return fail(Errc::InvalidArgument, "invalid filter '" + key + "': values must be strings");
        values.push_back(v.get<std::string>());
      }
    } else if (val.is_object()) {
      for (const auto& [v, on] : val.items())
        if (on.is_boolean() && on.get<bool>()) values.push_back(v);
    } else {
      return fail(Errc::InvalidArgument, "invalid filter '" + key + "': want a list of values");
    }
  }
  return out;
}

Result<std::optional<int64_t>> unix_time_param(const Request& req, const std::string& key, bool zero_is_unset) {
  auto v = req.q(key);
  if (!v || v->empty() || (zero_is_unset && *v == "0")) return std::optional<int64_t>();
  auto t = go::parse_unix_timestamp(*v);
  if (!t)
    return fail(Errc::InvalidArgument, "invalid value for " + key + ": " + *v + " (want unix seconds, e.g. 1700000000.5)");
  return std::optional<int64_t>(t->ns());
}

Result<std::optional<int64_t>> int_param(const Request& req, const std::string& key) {
  auto v = req.q(key);
  if (!v || v->empty()) return std::optional<int64_t>();
  auto n = parse_int(trim(*v));
  if (!n) return fail(Errc::InvalidArgument, "invalid value for " + key + ": " + *v + " (not an integer)");
  return std::optional<int64_t>(*n);
}

Result<void> no_content(ResponseWriter& w, int status) { return w.send(status, "", ""); }

}  // namespace berth::server
