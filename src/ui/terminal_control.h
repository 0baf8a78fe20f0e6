// The terminal's control messages from the browser (text WebSocket
// messages; keystrokes are binary ones).
#pragma once

#include <optional>
#include <string_view>
#include <utility>

namespace berth::ui {

// {"resize":[cols,rows]} with each in 1..1000 -> (cols, rows); nullopt for
// anything else, which the relay ignores.
std::optional<std::pair<unsigned, unsigned>> parse_control(std::string_view text);

}  // namespace berth::ui
