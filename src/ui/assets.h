// The dashboard's static files (share/berth/ui), compiled into berthd at
// build time (cmake/ui_assets.cmake), so nothing needs installing beside it.
#pragma once

#include <string_view>

namespace berth::ui {

struct Asset {
  std::string_view path;  // "/index.html", "/vendor/xterm/xterm.mjs"
  std::string_view content_type;
  std::string_view data;
};

// nullptr when there is no such file.
const Asset* find_asset(std::string_view path);

}  // namespace berth::ui
