// What every log driver's writer does with a batch of encoded entries: write
// it all to the log file (retrying EINTR), then empty it, and let a burst's
// buffer go rather than keep it resident.
#pragma once

#include <cstddef>
#include <string>

#include "base/error.h"

namespace berth::logs {

// Writes batch to fd; on success or failure, batch is empty afterwards (a
// failed batch is dropped: a container's output must never block on its log).
// Capacity above keep_capacity is released.
Result<void> write_batch_to(int fd, std::string& batch, const std::string& path, size_t keep_capacity);

}  // namespace berth::logs
