// Fuzz target: applying a layer (layer/layer.h) from a fuzzed tar stream
// (plain or compressed: the input is the blob), in both whiteout formats.
// The target directory sits in a fence, SANDBOX/a/b/target, made once.
// Checks, after every apply:
//  - no crash, no leak, no sanitizer report (also for the digest thread);
//  - nothing appeared outside the target: the fence holds only a/b/target,
//    and target is still the same directory;
//  - a failed apply left the target empty (apply's contract);
//  - a successful one read the whole blob.
// Then the target is emptied for the next input (made writable first: a layer
// may leave mode-0 directories, which an unprivileged run cannot list).
// It runs as whoever starts it; unprivileged, ownership is not applied.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/log.h"
#include "fuzz_check.h"
#include "fuzz_fence.h"
#include "layer/layer.h"

namespace {

fuzz_fence::Fence fence;

void empty_target() { fence.empty(); }
void check_fence() { fence.check(); }

// Plain format applies onto the parent's copy: give whiteouts something to remove.
void fill_parent_copy() {
  ::mkdir((fence.path() + "/etc").c_str(), 0755);
  int fd = ::open((fence.path() + "/etc/passwd").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
  ::mkdir((fence.path() + "/usr").c_str(), 0755);
  ::mkdir((fence.path() + "/usr/lib").c_str(), 0755);
  ::symlink("usr/lib", (fence.path() + "/lib").c_str());
  ::symlink("/etc/passwd", (fence.path() + "/passwd").c_str());
}

int blob_fd(const uint8_t* data, size_t size) {
  int fd = ::memfd_create("layer", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0, "memfd_create");
  FUZZ_CHECK(::write(fd, data, size) == static_cast<ssize_t>(size), "writing the blob");
  FUZZ_CHECK(::lseek(fd, 0, SEEK_SET) == 0, "seeking the blob");
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  berth::log::configure(-1, berth::log::Format::Text, berth::log::Level::Error);  // no warning per odd entry
  fence.make("berth-fuzz-layer", "target");
  std::atexit([] { fence.remove(); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (auto format : {berth::layer::Format::Overlay, berth::layer::Format::Plain}) {
    if (format == berth::layer::Format::Plain) fill_parent_copy();
    int fd = blob_fd(data, size);
    berth::layer::ApplyOptions options;
    options.format = format;
    options.max_entry_size = 1 << 20;  // a fuzzed header claims any size; keep the disk out of it
    options.max_total_size = 4 << 20;
    auto r = berth::layer::apply(fd, fence.path(), options);
    ::close(fd);
    check_fence();
    if (r) {
      FUZZ_CHECK(r->size == size, "apply read " + std::to_string(r->size) + " of " + std::to_string(size) + " bytes");
    } else {
      FUZZ_CHECK(fuzz_fence::names_in(fence.path()).empty(), "a failed apply left entries in the target: " + r.error().str());
    }
    empty_target();
  }
  return 0;
}
