// Statements shared by the image store's files; callers hold the transaction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "metadata/sqlite.h"

namespace berth::metadata::detail {

Result<bool> image_exists(Db& db, std::string_view id);
Result<std::vector<std::string>> refs_of(Db& db, std::string_view id);
Result<int64_t> child_count(Db& db, std::string_view id);
Result<std::string> parent_of(Db& db, std::string_view id);
Result<void> delete_ref(Db& db, std::string_view ref);
// Deletes the image row (its layers and content rows cascade); no refs may remain.
Result<void> delete_image(Db& db, std::string_view id);

}  // namespace berth::metadata::detail
