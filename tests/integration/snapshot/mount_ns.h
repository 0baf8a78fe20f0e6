// Applying snapshot mount descriptions in a forked child that owns a private
// mount namespace: every mount disappears with the child, even on failure.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "snapshot/snapshotter.h"

namespace berth::testing {

// mount(2)s m on target, honouring Mount::chdir. Returns "" or an error text.
std::string apply_mount(const snapshot::Mount& m, const std::string& target);
// Runs fn in a child in a new private mount namespace; returns its result,
// "" for success, or what went wrong (including a crash of the child).
std::string in_mount_ns(const std::function<std::string()>& fn);

std::string read_text(const std::string& path);
bool write_text(const std::string& path, const std::string& text);

}  // namespace berth::testing
