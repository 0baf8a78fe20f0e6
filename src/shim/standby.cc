#include "shim/standby.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "base/unique_fd.h"
#include "shimproto/protocol.h"

// The linker's bounds of the executable's text and data.
extern "C" char __executable_start, etext, __data_start, end;

namespace berth::shim {

Result<std::optional<shimproto::Assignment>> await_assignment(int daemon_fd) {
  if (daemon_fd < 0) return fail(Errc::InvalidArgument, "berth-shim --standby: no daemon connection on fd 3");
  auto frame = shimproto::read_frame(daemon_fd);
  if (!frame) {
    if (frame.error().code == Errc::Unavailable) return std::optional<shimproto::Assignment>();
    return std::unexpected(std::move(frame).error());
  }
  if (frame->first != shimproto::Frame::Launch)
    return fail(Errc::InvalidArgument, "berth-shim --standby: expected a Launch frame, got type " +
                                           std::to_string(static_cast<int>(frame->first)));
  return std::optional<shimproto::Assignment>(TRY(shimproto::Assignment::decode(frame->second)));
}

Result<void> take_log(const std::string& log_path) {
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log) return fail_errno("opening the shim log " + log_path);
  if (::dup2(log.get(), STDERR_FILENO) < 0) return fail_errno("making " + log_path + " the shim's stderr");
  return {};
}

namespace {

constexpr size_t kHeap = 1 << 20;   // a start's parsing and set-up use a few hundred KiB
constexpr size_t kStack = 16 << 10;

char* page_of(const void* p) { return reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t{4095}); }

void populate(const void* from, const void* to, int how) {
  char* begin = page_of(from);
  if (to > begin) ::madvise(begin, static_cast<size_t>(static_cast<const char*>(to) - begin), how);
}

[[gnu::noinline]] void touch_stack() {
  volatile char area[kStack];
  for (size_t i = 0; i < kStack; i += 4096) area[i] = 0;
}

}  // namespace

void prefault() {
  // The executable's segments, from the linker's symbols (berth-shim is not PIE).
  populate(&__executable_start, &etext, MADV_POPULATE_READ);
  populate(&__data_start, &end, MADV_POPULATE_WRITE);
  // A heap the start will reuse: malloc keeps a freed top chunk below the trim
  // threshold; run() trims what is left and restores the thresholds once the
  // container runs.
  ::mallopt(M_MMAP_THRESHOLD, 2 * kHeap);
  ::mallopt(M_TRIM_THRESHOLD, 2 * kHeap);
  if (void* heap = std::malloc(kHeap)) {
    populate(heap, static_cast<char*>(heap) + kHeap, MADV_POPULATE_WRITE);
    std::free(heap);
  }
  touch_stack();
}

bool is_standby_command_line(int argc, char** argv) {
  if (argc != 2 + shimproto::kStandbyArgSpace || std::strcmp(argv[1], shimproto::kStandbyFlag) != 0) return false;
  for (int i = 2; i < argc; ++i)
    if (argv[i][0] != '\0') return false;
  return true;
}

void show_command_line(const std::vector<std::string>& args, int argc, char** argv) {
  // setproctitle's way (PR_SET_MM would need CAP_SYS_RESOURCE): the area is
  // contiguous and ends with a NUL that stays, so the kernel reads it as argv.
  char* begin = argv[0];
  char* end = argv[argc - 1] + std::strlen(argv[argc - 1]) + 1;
  size_t room = static_cast<size_t>(end - begin) - 1;
  size_t at = 0;
  for (const auto& a : args) {
    if (at >= room) break;
    size_t n = std::min(a.size(), room - at);
    std::memcpy(begin + at, a.data(), n);
    at += n;
    if (at < room) begin[at++] = '\0';
  }
  std::memset(begin + at, 0, static_cast<size_t>(end - begin) - at);
}

}  // namespace berth::shim
