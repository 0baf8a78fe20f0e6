// An Errc's name on the wire ("NotFound", ...) and back, for the protocols
// that carry errors between processes (berth-shim's, the microVM agent's).
#pragma once

#include <string_view>

#include "base/error.h"

namespace berth {

const char* errc_code(Errc code);
Errc errc_from_code(std::string_view code);  // an unknown name is Internal

}  // namespace berth
