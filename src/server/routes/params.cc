#include "server/routes/params.h"

#include "base/filters.h"
#include "base/go_time.h"
#include "base/strings.h"

namespace berth::server {

Result<model::Filters> filters_param(const Request& req) {
  auto text = req.q("filters");
  if (!text || text->empty()) return model::Filters{};
  return TRY(Filters::parse(*text)).values();  // both wire forms, as every list and prune verb reads them
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
