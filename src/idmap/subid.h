// /etc/subuid and /etc/subgid: "NAME_OR_ID:START:COUNT" lines granting a user
// subordinate ids (shadow's format, as newuidmap and dockerd read it). Pure:
// the text comes from the caller, so tests need no files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::idmap {

// A contiguous run of host ids.
struct IdRange {
  uint32_t start = 0;
  uint32_t count = 0;
  uint64_t end() const { return uint64_t{start} + count; }  // one past the last
  bool operator==(const IdRange&) const = default;
};

struct SubIdEntry {
  std::string owner;  // a user name or a numeric uid, as written
  IdRange range;
};

// Every well-formed line; comments ("#"), blank lines and malformed lines are
// skipped, as shadow's getsubids does (a bad line must not lock everyone out).
std::vector<SubIdEntry> parse_subids(std::string_view text);

// The ranges of a user, matched by name or by its numeric id (either form may
// be in the file), in file order.
std::vector<IdRange> ranges_for(const std::vector<SubIdEntry>& entries, std::string_view name, uint32_t id);

// The first run of `count` ids at or above `lowest` that overlaps no entry,
// whoever owns it (dockerd's search: from 100000 upwards, past each range).
// Nullopt when none fits below 2^32.
std::optional<uint32_t> find_free_range(const std::vector<SubIdEntry>& entries, uint32_t count,
                                        uint32_t lowest = 100000);

// The line to append for owner.
std::string subid_line(std::string_view owner, const IdRange& range);

}  // namespace berth::idmap
