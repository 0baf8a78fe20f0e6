// MAC addresses as users write them (`--mac-address`, a compose file's
// `mac_address`, the API's MacAddress): Go's net.ParseMAC 6-byte forms.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth {

using Mac = std::array<uint8_t, 6>;

// "02:42:ac:11:00:02", "02-42-AC-11-00-02" or "0242.ac11.0002". InvalidArgument
// for anything else, and for a multicast (group) address, which no interface
// can take as its own.
Result<Mac> parse_mac(std::string_view text);
// Lower case, colons: "02:42:ac:11:00:02".
std::string format_mac(const Mac& mac);

}  // namespace berth
