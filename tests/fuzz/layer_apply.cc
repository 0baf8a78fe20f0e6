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
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "base/log.h"
#include "fuzz_check.h"
#include "layer/layer.h"

namespace {

std::string sandbox, target;
ino_t target_ino = 0;

std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  FUZZ_CHECK(d, "cannot list " + dir);
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  ::closedir(d);
  return out;
}

void check_fence() {
  FUZZ_CHECK(names_in(sandbox) == std::set<std::string>{"a"}, "something appeared in " + sandbox);
  FUZZ_CHECK(names_in(sandbox + "/a") == std::set<std::string>{"b"}, "something appeared in " + sandbox + "/a");
  FUZZ_CHECK(names_in(sandbox + "/a/b") == std::set<std::string>{"target"},
             "something appeared in " + sandbox + "/a/b");
  struct stat st;
  FUZZ_CHECK(::lstat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == target_ino,
             "the target directory was replaced");
}

// Removes everything below dir, making each directory writable and searchable first.
void remove_below(const std::string& dir) {
  ::chmod(dir.c_str(), 0700);
  for (const auto& n : names_in(dir)) {
    std::string p = dir + "/" + n;
    struct stat st;
    FUZZ_CHECK(::lstat(p.c_str(), &st) == 0, "lstat " + p);
    if (S_ISDIR(st.st_mode)) {
      remove_below(p);
      FUZZ_CHECK(::rmdir(p.c_str()) == 0, "rmdir " + p);
    } else {
      FUZZ_CHECK(::unlink(p.c_str()) == 0, "unlink " + p);
    }
  }
}

void empty_target() { remove_below(target); }

// Plain format applies onto the parent's copy: give whiteouts something to remove.
void fill_parent_copy() {
  ::mkdir((target + "/etc").c_str(), 0755);
  int fd = ::open((target + "/etc/passwd").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
  ::mkdir((target + "/usr").c_str(), 0755);
  ::mkdir((target + "/usr/lib").c_str(), 0755);
  ::symlink("usr/lib", (target + "/lib").c_str());
  ::symlink("/etc/passwd", (target + "/passwd").c_str());
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
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/berth-fuzz-layer-XXXXXX";
  FUZZ_CHECK(::mkdtemp(pattern.data()), "mkdtemp " + pattern);
  sandbox = pattern;
  target = sandbox + "/a/b/target";
  FUZZ_CHECK(::mkdir((sandbox + "/a").c_str(), 0755) == 0 && ::mkdir((sandbox + "/a/b").c_str(), 0755) == 0 &&
                 ::mkdir(target.c_str(), 0755) == 0,
             "making " + target);
  struct stat st;
  ::lstat(target.c_str(), &st);
  target_ino = st.st_ino;
  std::atexit([] {
    empty_target();
    ::rmdir(target.c_str());
    ::rmdir((sandbox + "/a/b").c_str());
    ::rmdir((sandbox + "/a").c_str());
    ::rmdir(sandbox.c_str());
  });
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
    auto r = berth::layer::apply(fd, target, options);
    ::close(fd);
    check_fence();
    if (r) {
      FUZZ_CHECK(r->size == size, "apply read " + std::to_string(r->size) + " of " + std::to_string(size) + " bytes");
    } else {
      FUZZ_CHECK(names_in(target).empty(), "a failed apply left entries in the target: " + r.error().str());
    }
    empty_target();
  }
  return 0;
}
