// The Docker API calls the dashboard's pages make, and only those: a
// dashboard session can look at everything, start, stop, restart and remove
// containers, remove and pull images, remove networks and volumes, but not
// create containers, mount host paths or change the daemon.
#pragma once

#include <string_view>

namespace berth::ui {

// method: "GET", "POST", "DELETE"; path: unversioned, without the query
// ("/containers/abc/json"). Versioned paths ("/v1.41/...") are refused.
bool proxy_allowed(std::string_view method, std::string_view path);

}  // namespace berth::ui
