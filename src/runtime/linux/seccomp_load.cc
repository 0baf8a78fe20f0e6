// The child-side half of seccomp (one syscall, no allocation) and the
// serialised form kept in the container state for `exec`.
#include <linux/seccomp.h>

#include <cerrno>
#include <cstring>

#include "runtime/linux/seccomp.h"
#include "sys/syscalls.h"

namespace berth::runtime {

int load_seccomp(const SeccompProgram& program) {
  if (program.filter.empty()) return 0;  // no profile: nothing to load
  if (program.filter.size() > BPF_MAXINSNS) {
    errno = EINVAL;
    return -1;
  }
  unsigned flags = program.flags;
  if (program.wants_listener) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // The kernel refuses TSYNC with a listener unless TSYNC failures report ESRCH.
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else {
    // Only meaningful with a listener; the kernel refuses it alone (as libseccomp, drop it).
    flags &= ~static_cast<unsigned>(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  }
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.filter.size());
  prog.filter = const_cast<sock_filter*>(program.filter.data());
  return sys::seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog);
}

// Layout, all little-endian: "BSCP" magic, u32 version, u32 flags,
// u32 wants_listener, u32 count, then count * {u16 code, u8 jt, u8 jf, u32 k}.
namespace {

constexpr char kMagic[4] = {'B', 'S', 'C', 'P'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 4 + 4 * 4;
constexpr size_t kInsnSize = 8;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
uint32_t get_u32(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint16_t get_u16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

}  // namespace

std::string seccomp_to_bytes(const SeccompProgram& program) {
  std::string out(kMagic, sizeof kMagic);
  out.reserve(kHeaderSize + program.filter.size() * kInsnSize);
  put_u32(out, kVersion);
  put_u32(out, program.flags);
  put_u32(out, program.wants_listener ? 1 : 0);
  put_u32(out, static_cast<uint32_t>(program.filter.size()));
  for (const auto& insn : program.filter) {
    put_u16(out, insn.code);
    out.push_back(static_cast<char>(insn.jt));
    out.push_back(static_cast<char>(insn.jf));
    put_u32(out, insn.k);
  }
  return out;
}

Result<SeccompProgram> seccomp_from_bytes(const std::string& bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < kHeaderSize || std::memcmp(p, kMagic, sizeof kMagic) != 0)
    return fail(Errc::InvalidArgument, "stored seccomp program: bad header");
  uint32_t version = get_u32(p + 4);
  if (version != kVersion)
    return fail(Errc::Unsupported,
                "stored seccomp program: unsupported version " + std::to_string(version));
  SeccompProgram program;
  program.flags = get_u32(p + 8);
  uint32_t listener = get_u32(p + 12);
  if (listener > 1) return fail(Errc::InvalidArgument, "stored seccomp program: bad listener field");
  program.wants_listener = listener == 1;
  uint32_t count = get_u32(p + 16);
  if (count > BPF_MAXINSNS || bytes.size() != kHeaderSize + size_t(count) * kInsnSize)
    return fail(Errc::InvalidArgument, "stored seccomp program: length does not match " +
                                           std::to_string(count) + " instructions");
  program.filter.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    const unsigned char* q = p + kHeaderSize + size_t(i) * kInsnSize;
    program.filter[i] = sock_filter{get_u16(q), q[2], q[3], get_u32(q + 4)};
  }
  return program;
}

}  // namespace berth::runtime
