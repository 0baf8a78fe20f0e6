// Compiling linux.seccomp to BPF with libseccomp, in the runtime (never in the
// cloned child): the child gets a ready sock_filter array and loads it with one
// syscall. Semantics follow runc's libcontainer/seccomp so profiles written
// for runc (Docker's, Podman's) behave the same.
#include "runtime/linux/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "base/log.h"
#include "base/unique_fd.h"

namespace berth::runtime {
namespace {

struct NamedValue {
  const char* name;
  uint32_t value;
};

// Actions whose return data is fixed; ERRNO and TRACE carry errnoRet and are
// handled in action_value().
constexpr NamedValue kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

constexpr NamedValue kOperators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

// Every architecture libseccomp 2.5 knows; newer ones only when the headers have them.
constexpr NamedValue kArchs[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
    {"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#endif
#ifdef SCMP_ARCH_M68K
    {"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#endif
#ifdef SCMP_ARCH_SH
    {"SCMP_ARCH_SH", SCMP_ARCH_SH},
    {"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#endif
};

// Kernel flags: we load the program ourselves, so they go straight to seccomp(2).
constexpr NamedValue kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
#endif
};

template <size_t N>
std::optional<uint32_t> lookup(const NamedValue (&table)[N], const std::string& name) {
  for (const auto& e : table)
    if (name == e.name) return e.value;
  return std::nullopt;
}

template <size_t N>
std::vector<std::string> names_of(const NamedValue (&table)[N]) {
  std::vector<std::string> out;
  for (const auto& e : table) out.emplace_back(e.name);
  return out;
}

// The libseccomp action for a name; ERRNO and TRACE default to EPERM as in runc.
Result<uint32_t> action_value(const std::string& field, const std::string& name,
                              std::optional<uint32_t> errno_ret) {
  auto base = lookup(kActions, name);
  if (!base) return fail(Errc::InvalidArgument, field + ": unknown seccomp action " + name);
  if (*base == SCMP_ACT_ERRNO(0) || *base == SCMP_ACT_TRACE(0)) {
    uint32_t data = errno_ret.value_or(EPERM);
    if (data > 0xffff)
      return fail(Errc::InvalidArgument,
                  field + ": errnoRet " + std::to_string(data) + " does not fit in 16 bits");
    return *base | data;
  }
  return *base;
}

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

Result<void> add_rule(scmp_filter_ctx ctx, const std::string& field, const std::string& name,
                      int nr, uint32_t action, const std::vector<scmp_arg_cmp>& conds) {
  int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conds.size()),
                                  conds.empty() ? nullptr : conds.data());
  if (rc < 0)
    return fail(Errc::InvalidArgument, field + ": adding seccomp rule for " + name, -rc);
  return {};
}

Result<void> add_syscall_rules(scmp_filter_ctx ctx, const std::string& field,
                               const spec::SeccompSyscall& sc, uint32_t default_action,
                               bool* uses_notify) {
  uint32_t action = TRY(action_value(field + ".action", sc.action, sc.errno_ret));
  // libseccomp refuses a rule equal to the default; it would change nothing anyway.
  if (action == default_action) return {};

  std::vector<scmp_arg_cmp> conds;
  std::array<int, 6> per_index{};
  bool repeated_index = false;
  for (size_t i = 0; i < sc.args.size(); ++i) {
    const auto& a = sc.args[i];
    std::string afield = field + ".args[" + std::to_string(i) + "]";
    auto op = lookup(kOperators, a.op);
    if (!op) return fail(Errc::InvalidArgument, afield + ".op: unknown seccomp operator " + a.op);
    if (a.index >= per_index.size())
      return fail(Errc::InvalidArgument, afield + ".index: must be between 0 and 5");
    if (++per_index[a.index] > 1) repeated_index = true;
    conds.push_back(scmp_arg_cmp{a.index, static_cast<scmp_compare>(*op), a.value, a.value_two});
  }

  for (const auto& name : sc.names) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      log::debug("seccomp: unknown syscall {} skipped", name);
      continue;
    }
    if (!repeated_index) {
      TRYV(add_rule(ctx, field, name, nr, action, conds));
    } else {
      // As runc: several conditions on one argument cannot all hold at once
      // (libseccomp would refuse them), so each becomes its own rule: an OR.
      for (const auto& c : conds) TRYV(add_rule(ctx, field, name, nr, action, {c}));
    }
    if (action == SCMP_ACT_NOTIFY) *uses_notify = true;
  }
  return {};
}

Result<std::vector<sock_filter>> export_bpf(scmp_filter_ctx ctx) {
  UniqueFd fd(::memfd_create("berth-seccomp", MFD_CLOEXEC));
  if (!fd) return fail_errno("memfd_create for the seccomp program");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc < 0) return fail(Errc::Internal, "exporting the seccomp program", -rc);
  off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0) return fail_errno("seeking in the seccomp program memfd");
  if (size == 0 || size % sizeof(sock_filter) != 0)
    return fail(Errc::Internal, "seccomp program has a size of " + std::to_string(size) +
                                    " bytes, not a whole number of instructions");
  if (size / sizeof(sock_filter) > BPF_MAXINSNS)
    return fail(Errc::InvalidArgument,
                "linux.seccomp: the profile compiles to " + std::to_string(size / sizeof(sock_filter)) +
                    " BPF instructions, more than the kernel's limit of " +
                    std::to_string(BPF_MAXINSNS));
  std::vector<sock_filter> filter(size / sizeof(sock_filter));
  ssize_t n = ::pread(fd.get(), filter.data(), size, 0);
  if (n != size) return fail_errno("reading the seccomp program memfd", n < 0 ? errno : EIO);
  return filter;
}

}  // namespace

Result<SeccompProgram> compile_seccomp(const spec::Seccomp& profile) {
  uint32_t default_action =
      TRY(action_value("linux.seccomp.defaultAction", profile.default_action, profile.default_errno_ret));
  // The child could do nothing (not even hand over the listener) before a supervisor answers.
  if (default_action == SCMP_ACT_NOTIFY)
    return fail(Errc::InvalidArgument,
                "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

  SeccompProgram program;
  for (const auto& flag : profile.flags) {
    auto v = lookup(kFlags, flag);
    if (!v) return fail(Errc::InvalidArgument, "linux.seccomp.flags: unknown seccomp flag " + flag);
    program.flags |= *v;
  }

  Ctx ctx(seccomp_init(default_action));
  if (!ctx) return fail(Errc::Unsupported, "linux.seccomp.defaultAction: libseccomp refused " +
                                               profile.default_action);
  // The bad-architecture action stays libseccomp's default (kill), as runc.
  for (const auto& arch : profile.architectures) {
    auto token = lookup(kArchs, arch);
    if (!token)
      return fail(Errc::InvalidArgument, "linux.seccomp.architectures: unknown architecture " + arch);
    int rc = seccomp_arch_add(ctx.get(), *token);
    if (rc == -EDOM)  // libseccomp cannot mix byte orders in one filter (runc fails too)
      return fail(Errc::InvalidArgument, "linux.seccomp.architectures: " + arch +
                                             " has a byte order other than the native architecture's");
    if (rc < 0 && rc != -EEXIST)  // the native one is already there
      return fail(Errc::InvalidArgument, "linux.seccomp.architectures: adding " + arch, -rc);
  }

  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    TRYV(add_syscall_rules(ctx.get(), "linux.seccomp.syscalls[" + std::to_string(i) + "]",
                           profile.syscalls[i], default_action, &program.wants_listener));
  }
  program.filter = TRY(export_bpf(ctx.get()));
  return program;
}

std::vector<std::string> seccomp_known_actions() { return names_of(kActions); }
std::vector<std::string> seccomp_known_operators() { return names_of(kOperators); }
std::vector<std::string> seccomp_known_archs() { return names_of(kArchs); }
std::vector<std::string> seccomp_known_flags() { return names_of(kFlags); }

}  // namespace berth::runtime
