#include "base/exit_status.h"

namespace berth {
namespace {

// 127 or 126 for a command that is missing or cannot be executed; 0 otherwise.
int command_status(const Error& e) {
  if (e.code == Errc::NotFound || e.sys_errno == ENOENT) return 127;
  if (e.code == Errc::PermissionDenied || e.sys_errno == EACCES || e.sys_errno == EISDIR) return 126;
  return 0;
}

}  // namespace

int exit_status_for(const Error& e) {
  int s = command_status(e);
  return s ? s : 125;
}

int container_exit_status_for(const Error& e) {
  int s = command_status(e);
  return s ? s : 128;
}

}  // namespace berth
