// libarchive's last error as text: archive_error_string is NULL when the
// library set no message (fuzz.layer_apply found a stream that does this).
#pragma once

#include <archive.h>

#include <string>

namespace berth::layer {

inline std::string archive_message(archive* a) {
  const char* text = archive_error_string(a);
  return text ? text : "unknown error (libarchive gave no message)";
}

}  // namespace berth::layer
