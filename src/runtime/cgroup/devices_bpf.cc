#include "runtime/cgroup/devices_bpf.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"

namespace berth::runtime::cgroup::detail::bpf {
namespace {

constexpr int kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

int access_bits(const std::string& access) {
  int bits = 0;
  for (char c : access) {
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
  }
  return bits;
}

bool same_device(const DeviceException& a, const DeviceException& b) {
  return a.type == b.type && a.major == b.major && a.minor == b.minor;
}

long bpf_call(int cmd, union bpf_attr* attr) {
  return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

uint64_t ptr(const void* p) { return reinterpret_cast<uint64_t>(p); }

}  // namespace

Result<DevicePolicy> reduce_rules(const std::vector<spec::DeviceRule>& rules) {
  DevicePolicy policy;
  for (const auto& rule : rules) {
    int access = access_bits(rule.access);
    if (rule.type == "a" || rule.type.empty()) {
      // A wildcard rule resets the list, as on v1.
      policy.default_allow = rule.allow;
      policy.exceptions.clear();
      continue;
    }
    DeviceException e;
    if (rule.type == "c") {
      e.type = BPF_DEVCG_DEV_CHAR;
    } else if (rule.type == "b") {
      e.type = BPF_DEVCG_DEV_BLOCK;
    } else {
      return fail(Errc::InvalidArgument, "linux.resources.devices: unknown device type '" + rule.type + "'");
    }
    e.major = rule.major.value_or(-1) < 0 ? -1 : *rule.major;
    e.minor = rule.minor.value_or(-1) < 0 ? -1 : *rule.minor;
    e.access = access;
    auto same = std::find_if(policy.exceptions.begin(), policy.exceptions.end(),
                             [&](const DeviceException& x) { return same_device(x, e); });
    if (rule.allow == policy.default_allow) {
      // Agrees with the default: take these accesses out of the matching exception.
      if (same != policy.exceptions.end()) {
        same->access &= ~access;
        if (same->access == 0) policy.exceptions.erase(same);
      }
    } else if (same != policy.exceptions.end()) {
      same->access |= access;
    } else if (access != 0) {
      policy.exceptions.push_back(e);
    }
  }
  return policy;
}

std::vector<bpf_insn> device_program(const DevicePolicy& policy) {
  std::vector<bpf_insn> prog = {
      // r2 = type (low 16 bits of access_type), r3 = access (high 16 bits)
      insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0),
      insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff),
      insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0),
      insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16),
      // r4 = major, r5 = minor
      insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0),
      insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0),
  };
  const int verdict = policy.default_allow ? 0 : 1;  // what a matching exception returns
  for (const auto& e : policy.exceptions) {
    std::vector<bpf_insn> block;
    std::vector<size_t> to_next;  // jumps to patch to the end of this block
    auto jump_next = [&](bpf_insn i) {
      to_next.push_back(block.size());
      block.push_back(i);
    };
    jump_next(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0, e.type));
    if (e.access != kAllAccess) {
      block.push_back(insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
      block.push_back(insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, e.access));
      if (verdict == 1)
        // An allow exception must cover every access asked for.
        jump_next(insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
      else
        // A deny exception applies when any access asked for is in it.
        jump_next(insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, 0, 0));
    }
    if (e.major >= 0) jump_next(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, static_cast<int32_t>(e.major)));
    if (e.minor >= 0) jump_next(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, static_cast<int32_t>(e.minor)));
    block.push_back(insn(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, verdict));
    block.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (size_t j : to_next) block[j].off = static_cast<int16_t>(block.size() - (j + 1));
    prog.insert(prog.end(), block.begin(), block.end());
  }
  prog.push_back(insn(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, policy.default_allow ? 1 : 0));
  prog.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return prog;
}

Result<void> apply_device_rules(int cgroup_fd, const std::vector<spec::DeviceRule>& rules,
                                const std::string& id) {
  auto policy = TRY(reduce_rules(rules));
  auto prog = device_program(policy);
  static const char license[] = "GPL";

  union bpf_attr load {};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = ptr(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = ptr(license);
  UniqueFd prog_fd(static_cast<int>(bpf_call(BPF_PROG_LOAD, &load)));
  if (!prog_fd) {
    int err = errno;
    // Load again with the verifier log so the error says why.
    std::string log(16384, '\0');
    load.log_level = 1;
    load.log_buf = ptr(log.data());
    load.log_size = static_cast<uint32_t>(log.size());
    UniqueFd again(static_cast<int>(bpf_call(BPF_PROG_LOAD, &load)));
    log.resize(std::strlen(log.c_str()));
    return fail_errno("loading the device filter program for container " + id +
                          (log.empty() ? "" : " (verifier: " + log.substr(0, 512) + ")"),
                      err);
  }

  uint32_t old_ids[64] = {};
  union bpf_attr query {};
  query.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  query.query.attach_type = BPF_CGROUP_DEVICE;
  query.query.prog_ids = ptr(old_ids);
  query.query.prog_cnt = 64;
  if (bpf_call(BPF_PROG_QUERY, &query) != 0)
    return fail_errno("querying the device filters of container " + id);
  uint32_t old_count = std::min<uint32_t>(query.query.prog_cnt, 64);

  // ALLOW_MULTI so the new program is in force before the old ones go.
  union bpf_attr attach {};
  attach.target_fd = static_cast<uint32_t>(cgroup_fd);
  attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf_call(BPF_PROG_ATTACH, &attach) != 0)
    return fail_errno("attaching the device filter program to the cgroup of container " + id);

  for (uint32_t i = 0; i < old_count; ++i) {
    union bpf_attr get {};
    get.prog_id = old_ids[i];
    UniqueFd old(static_cast<int>(bpf_call(BPF_PROG_GET_FD_BY_ID, &get)));
    if (!old) {
      if (errno == ENOENT) continue;  // already gone
      return fail_errno("opening an old device filter of container " + id);
    }
    union bpf_attr detach {};
    detach.target_fd = static_cast<uint32_t>(cgroup_fd);
    detach.attach_bpf_fd = static_cast<uint32_t>(old.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpf_call(BPF_PROG_DETACH, &detach) != 0 && errno != ENOENT)
      return fail_errno("detaching an old device filter of container " + id);
  }
  return {};
}

}  // namespace berth::runtime::cgroup::detail::bpf
