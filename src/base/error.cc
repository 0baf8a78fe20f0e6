#include "base/error.h"

#include <cstring>

namespace berth {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::NotFound: return "not found";
    case Errc::AlreadyExists: return "already exists";
    case Errc::InvalidArgument: return "invalid argument";
    case Errc::Conflict: return "conflict";
    case Errc::PermissionDenied: return "permission denied";
    case Errc::Unavailable: return "unavailable";
    case Errc::Unsupported: return "unsupported";
    case Errc::Internal: return "internal error";
  }
  return "error";
}

std::string Error::str() const {
  if (sys_errno == 0) return message;
  return message + ": " + std::strerror(sys_errno);
}

Error& Error::wrap(const std::string& context) & {
  message = context + ": " + message;
  return *this;
}

Error&& Error::wrap(const std::string& context) && {
  message = context + ": " + message;
  return std::move(*this);
}

Errc errc_from_errno(int err) {
  switch (err) {
    case ENOENT: case ESRCH: case ENXIO: return Errc::NotFound;
    case EEXIST: return Errc::AlreadyExists;
    case EINVAL: case ENAMETOOLONG: case ENOTDIR: case EISDIR: case ELOOP: case E2BIG:
      return Errc::InvalidArgument;
    case EBUSY: case ETXTBSY: return Errc::Conflict;
    case EPERM: case EACCES: case EROFS: return Errc::PermissionDenied;
    case EAGAIN: case ENOSPC: case ENOMEM: case EMFILE: case ENFILE: return Errc::Unavailable;
    case ENOSYS: case EOPNOTSUPP: return Errc::Unsupported;
    default: return Errc::Internal;
  }
}

}  // namespace berth
