// (internal) The part of reading a log that does not depend on its format:
// PATH and its rotated PATH.1, PATH.2... oldest first, the tail found by
// reading backwards, follow across rotations. One entry per line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "logs/log_reader.h"

namespace berth::logs::detail {

// One line without its "\n"; nullopt for a line that is not an entry.
using LineParser = std::optional<LogEntry> (*)(std::string_view line);

Result<void> read_log_files(const std::string& path, const LogReadOptions& opts, LineParser parse,
                            const LogSink& sink);

}  // namespace berth::logs::detail
