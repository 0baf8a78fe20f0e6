#include "base/exit_status.h"

namespace berth {

int exit_status_for(const Error& e) {
  if (e.sys_errno != 0) {
    switch (e.sys_errno) {
      case ENOENT: return kExitNotFound;
      case EACCES: case EPERM: case EISDIR: case ENOEXEC: case ETXTBSY: return kExitCannotInvoke;
      default: return kExitRefused;
    }
  }
  switch (e.code) {
    case Errc::NotFound: return kExitNotFound;
    case Errc::PermissionDenied: return kExitCannotInvoke;
    default: return kExitRefused;
  }
}

int container_exit_status_for(const Error& e) {
  int status = exit_status_for(e);
  return status == kExitRefused ? kExitStartFailed : status;
}

}  // namespace berth
