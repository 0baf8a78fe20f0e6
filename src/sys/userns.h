// Whether this process runs in a user namespace other than the host's (a
// rootless berthd and everything it starts does). Read from
// /proc/self/uid_map: the initial namespace maps all 2^32-1 ids from 0.
#pragma once

#include <string_view>

namespace berth::sys {

bool in_user_namespace();

// The xattr that marks an overlay upper/lower directory opaque: trusted.* needs
// CAP_SYS_ADMIN on the host, so a user namespace uses overlay's "userxattr"
// form (user.overlay.*), and its overlay mounts pass the userxattr option.
const char* overlay_opaque_xattr();
// The same decision from a uid_map's text (for tests).
bool uid_map_is_nested(std::string_view uid_map);

}  // namespace berth::sys
