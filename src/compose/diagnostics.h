// Error texts of the loader: where (file:line:col), the key path
// (services.web.ports.0) and what is wrong, in Compose v2's words.
#pragma once

#include <string>
#include <string_view>
#include <expected>

#include "base/error.h"
#include "compose/tree.h"

namespace berth::compose {

// "FILE:L:C: PATH: WHAT"
inline std::unexpected<Error> invalid_at(const Node& n, std::string_view path, std::string_view what) {
  std::string msg = where(n.mark);
  msg += ": ";
  if (!path.empty()) {
    msg += path;
    msg += ": ";
  }
  msg += what;
  return fail(Errc::InvalidArgument, std::move(msg));
}

// The project-level checks have no single place in a file.
inline std::unexpected<Error> invalid_project(std::string what) {
  return fail(Errc::InvalidArgument, std::move(what));
}

}  // namespace berth::compose
