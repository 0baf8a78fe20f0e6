#include "base/clock.h"

#include "base/go_time.h"

namespace berth {

std::string rfc3339_now() { return go::format_rfc3339_nano_fixed(go::UnixTime::now()); }

}  // namespace berth
