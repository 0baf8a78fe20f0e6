// What the runtime adds to a container's writable layer only to mount over
// it (/proc, /sys, /dev, /etc/hosts, /etc/hostname, /etc/resolv.conf when
// the image lacks them): empty placeholders, never data, since the mounts
// hide them. Docker keeps them in a per-container "init" layer under the
// writable one; the builder removes them from a RUN's writable layer before
// committing it, so they do not become part of the image.
#pragma once

#include <string>
#include <vector>

namespace berth::engine {

// upper: the RUN container's overlay upper directory; lowers: its image's
// layer directories. Removes each placeholder the lowers do not have (an
// empty regular file, an empty directory); the rest stays.
void drop_runtime_mountpoints(const std::string& upper, const std::vector<std::string>& lowers);

}  // namespace berth::engine
