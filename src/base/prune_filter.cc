#include "base/prune_filter.h"

namespace berth {

Result<PruneFilter> PruneFilter::parse(std::string_view filters_json, const std::set<std::string>& verb_keys,
                                       go::UnixTime now) {
  return from(TRY(Filters::parse(filters_json)), verb_keys, now);
}

Result<PruneFilter> PruneFilter::from(Filters filters, const std::set<std::string>& verb_keys, go::UnixTime now) {
  std::set<std::string> accepted = verb_keys;
  accepted.insert("label");
  accepted.insert("label!");
  TRYV(filters.validate(accepted));
  PruneFilter out;
  if (verb_keys.contains("until") && filters.contains("until")) {
    const auto& v = filters.get("until");
    if (v.size() > 1) return fail(Errc::InvalidArgument, "more than one until filter specified");
    if (!v.empty()) out.until_ = TRY(go::docker_time(v.front(), now));
  }
  out.filters_ = std::move(filters);
  return out;
}

bool PruneFilter::matches_labels(const std::map<std::string, std::string>& labels) const {
  if (!filters_.match_kv_list("label", labels)) return false;
  // match_kv_list is true for an absent key: label! must be present to exclude.
  return !(filters_.contains("label!") && filters_.match_kv_list("label!", labels));
}

}  // namespace berth
