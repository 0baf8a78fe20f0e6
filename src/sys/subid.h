// Subordinate id ranges (/etc/subuid, /etc/subgid, shadow-utils' format):
// "NAME_OR_ID:START:COUNT" per line. A user's ranges are the lines naming its
// login or its numeric id; newuidmap/newgidmap accept exactly those.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::sys {

struct SubidRange {
  uint32_t start = 0;
  uint32_t count = 0;
  bool operator==(const SubidRange&) const = default;
};

// Ranges of the owner `name` or `id` in the file's text, in file order.
// Blank lines and '#' comments are skipped; a malformed line is an error
// naming its number (newuidmap would refuse the file the same way).
Result<std::vector<SubidRange>> parse_subids(std::string_view text, std::string_view name, uint32_t id);

// The same from a file; a missing file is no ranges.
Result<std::vector<SubidRange>> read_subids(const std::string& path, std::string_view name, uint32_t id);

}  // namespace berth::sys
