#include "engine/build/runtime_mountpoints.h"

#include <sys/stat.h>
#include <unistd.h>

namespace berth::engine {

void drop_runtime_mountpoints(const std::string& upper, const std::vector<std::string>& lowers) {
  // Children before their parents: a parent goes only once it is empty.
  static const char* const kPlaceholders[] = {
      "etc/hosts", "etc/hostname", "etc/resolv.conf", "etc/mtab", "dev/shm", "dev/pts", "dev/mqueue",
      "dev/console", "dev", "proc", "sys", "etc"};
  for (const char* rel : kPlaceholders) {
    bool in_image = false;
    for (const auto& l : lowers) {
      struct stat st {};
      if (::lstat((l + "/" + rel).c_str(), &st) == 0) in_image = true;
    }
    if (in_image) continue;  // the image's own (or its copy-up): part of the layer
    std::string path = upper + "/" + rel;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode) && st.st_size == 0) ::unlink(path.c_str());
    else if (S_ISDIR(st.st_mode)) ::rmdir(path.c_str());  // fails, as it should, when not empty
  }
}

}  // namespace berth::engine
