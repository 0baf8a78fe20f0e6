#include "base/errc_code.h"

namespace berth {

const char* errc_code(Errc code) {
  switch (code) {
    case Errc::NotFound: return "NotFound";
    case Errc::AlreadyExists: return "AlreadyExists";
    case Errc::InvalidArgument: return "InvalidArgument";
    case Errc::Conflict: return "Conflict";
    case Errc::PermissionDenied: return "PermissionDenied";
    case Errc::Unavailable: return "Unavailable";
    case Errc::Unsupported: return "Unsupported";
    case Errc::Internal: return "Internal";
  }
  return "Internal";
}

Errc errc_from_code(std::string_view code) {
  for (Errc e : {Errc::NotFound, Errc::AlreadyExists, Errc::InvalidArgument, Errc::Conflict, Errc::PermissionDenied,
                 Errc::Unavailable, Errc::Unsupported})
    if (code == errc_code(e)) return e;
  return Errc::Internal;
}

}  // namespace berth
