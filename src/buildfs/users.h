// Users and groups of a build's root filesystem, read through the root.
#pragma once

#include <string>

#include "base/error.h"
#include "buildfs/copy.h"  // Owner

namespace berth::buildfs {

enum class ResolveFor {
  // USER (runc's GetExecUser, which dockerd applies when a RUN step starts):
  // "user[:group]" by name or number; a user found in /etc/passwd brings its
  // primary group, a numeric uid missing from it has gid 0; a name missing
  // from /etc/passwd: "unable to find user NAME: no matching entries in
  // passwd file"; a group name missing from /etc/group: "unable to find
  // group NAME: no matching entries in group file"; ids above 2^31-1: "uids
  // and gids must be in range 0-2147483647". A missing /etc/passwd or
  // /etc/group is an empty one.
  user,
  // --chown (Docker's legacy parseChownFlag): "user[:group]"; without a
  // group, the user string names the group too (so "1000" is 1000:1000 and
  // "app" needs a group "app"); numbers are taken as they are, names are
  // looked up. Errors as Docker prints them: "unable to convert uid/gid
  // chown string to host mapping: can't find uid for user NAME: no such
  // user: NAME" (and "can't find gid for group NAME: no such group: NAME";
  // "invalid chown string format: SPEC" for more than one ':', under the
  // same prefix).
  chown,
};

// Resolves spec against root's /etc/passwd and /etc/group, each opened
// inside the root (symlinks followed as in a chroot, never out of it).
Result<Owner> resolve_owner(int root_fd, const std::string& spec, ResolveFor purpose);

}  // namespace berth::buildfs
