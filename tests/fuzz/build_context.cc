// Fuzz target: receiving a build context (buildfs/context.h) from a fuzzed
// POST /build body (a tar, plain or compressed, or a Dockerfile alone; cut
// anywhere), into a directory fenced as SANDBOX/a/b/ctx. Checks, per input:
//  - no crash, no leak, no sanitizer report;
//  - nothing appeared outside ctx: the fence holds only a/b/ctx, and ctx is
//    still the same directory;
//  - a received context counted every byte of the body.
// The body arrives in pieces whose size the input's first byte picks, as a
// client's chunks do. Then ctx is emptied for the next input.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "base/log.h"
#include "buildfs/context.h"
#include "fuzz_check.h"

namespace {

std::string sandbox, ctx;
ino_t ctx_ino = 0;

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

void check_fence() {
  FUZZ_CHECK(names_in(sandbox) == std::set<std::string>{"a"}, "something appeared in " + sandbox);
  FUZZ_CHECK(names_in(sandbox + "/a") == std::set<std::string>{"b"}, "something appeared in " + sandbox + "/a");
  FUZZ_CHECK(names_in(sandbox + "/a/b") == std::set<std::string>{"ctx"}, "something appeared in " + sandbox + "/a/b");
  struct stat st;
  FUZZ_CHECK(::lstat(ctx.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == ctx_ino,
             "the context directory was replaced");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  berth::log::configure(-1, berth::log::Format::Text, berth::log::Level::Error);
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/berth-fuzz-context-XXXXXX";
  FUZZ_CHECK(::mkdtemp(pattern.data()), "mkdtemp " + pattern);
  sandbox = pattern;
  ctx = sandbox + "/a/b/ctx";
  FUZZ_CHECK(::mkdir((sandbox + "/a").c_str(), 0755) == 0 && ::mkdir((sandbox + "/a/b").c_str(), 0755) == 0 &&
                 ::mkdir(ctx.c_str(), 0755) == 0,
             "making " + ctx);
  struct stat st;
  ::lstat(ctx.c_str(), &st);
  ctx_ino = st.st_ino;
  std::atexit([] {
    remove_below(ctx);
    ::rmdir(ctx.c_str());
    ::rmdir((sandbox + "/a/b").c_str());
    ::rmdir((sandbox + "/a").c_str());
    ::rmdir(sandbox.c_str());
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = data[0] == 0 ? size : data[0];  // 1..255 bytes per read, or all at once
  const uint8_t* body = data + 1;
  size_t left = size - 1, total = size - 1;
  auto read = [&](char* buf, size_t len) -> berth::Result<size_t> {
    size_t n = std::min({len, left, piece});
    std::memcpy(buf, body, n);
    body += n;
    left -= n;
    return n;
  };
  auto r = berth::buildfs::receive_context(read, ctx);
  check_fence();
  if (r) FUZZ_CHECK(r->bytes == total, "received " + std::to_string(r->bytes) + " of " + std::to_string(total) + " bytes");
  remove_below(ctx);
  return 0;
}
