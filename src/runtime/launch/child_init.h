// The container's first process, from clone3() to execve().
#pragma once

#include "runtime/launch/plan.h"

namespace berth::runtime {

[[noreturn]] void container_init(const InitPlan& plan, int sync_fd);

}  // namespace berth::runtime
