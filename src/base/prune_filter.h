// The filters of every prune verb (container, image, network, volume), as
// dockerd applies them (daemon/prune.go, image and volume prune):
//   label=K, label=K=V    only objects with every such label
//   label!=K, label!=K=V  not objects that have all of these
//   until=T               only objects created at or before T: a Go duration
//                         back from now ("10m", "1h30m"), an RFC 3339-like
//                         date ("2024-01-02", "2024-01-02T15:04:05Z"), or
//                         Unix seconds ("1700000000.5")
// plus the verb's own keys, which the verb reads from filters(). A key the
// verb does not take is InvalidArgument "invalid filter 'KEY'", as dockerd.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/filters.h"
#include "base/go_time.h"

namespace berth {

// What each verb accepts besides label and label! (dockerd's lists).
inline const std::set<std::string> kContainerPruneKeys = {"until"};
inline const std::set<std::string> kNetworkPruneKeys = {"until"};
inline const std::set<std::string> kImagePruneKeys = {"until", "dangling"};
inline const std::set<std::string> kVolumePruneKeys = {"all"};

class PruneFilter {
 public:
  // `filters` in either wire form ("" = none); `verb_keys` one of the sets
  // above; `until` is taken relative to `now`. More than one `until` is
  // InvalidArgument, as dockerd.
  static Result<PruneFilter> parse(std::string_view filters_json, const std::set<std::string>& verb_keys,
                                   go::UnixTime now = go::UnixTime::now());
  static Result<PruneFilter> from(Filters filters, const std::set<std::string>& verb_keys,
                                  go::UnixTime now = go::UnixTime::now());

  // dockerd's matchLabels.
  bool matches_labels(const std::map<std::string, std::string>& labels) const;
  // Not created after `until` (always true without one).
  bool created_by_until(go::UnixTime created) const { return !until_ || created <= *until_; }
  bool matches(const std::map<std::string, std::string>& labels, go::UnixTime created) const {
    return created_by_until(created) && matches_labels(labels);
  }

  // Whether matches_labels can say no (so labels need reading at all).
  bool has_label_filters() const { return filters_.contains("label") || filters_.contains("label!"); }
  const std::optional<go::UnixTime>& until() const { return until_; }
  // Everything given, for the verb's own keys (dangling, all).
  const Filters& filters() const { return filters_; }

 private:
  Filters filters_;
  std::optional<go::UnixTime> until_;
};

}  // namespace berth
