// The device filter is checked by running it in a small interpreter of the
// instructions it uses, so no root or kernel BPF is needed here.
#include <gtest/gtest.h>

#include "runtime/cgroup/devices_bpf.h"
#include "runtime/cgroup/drivers.h"

using namespace berth;
namespace bpf = berth::runtime::cgroup::detail::bpf;

namespace {

constexpr int R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD;
constexpr int C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK;

int run(const std::vector<bpf_insn>& prog, int type, int access, uint32_t major, uint32_t minor) {
  uint32_t ctx[3] = {static_cast<uint32_t>(access << 16 | type), major, minor};
  uint64_t reg[11] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf_insn& i = prog[pc];
    uint64_t src = (BPF_SRC(i.code) == BPF_X) ? reg[i.src_reg] : static_cast<uint64_t>(static_cast<int64_t>(i.imm));
    switch (BPF_CLASS(i.code)) {
      case BPF_LDX:
        EXPECT_EQ(i.src_reg, BPF_REG_1);
        reg[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU: {
        uint32_t d = static_cast<uint32_t>(reg[i.dst_reg]), s = static_cast<uint32_t>(src);
        switch (BPF_OP(i.code)) {
          case BPF_MOV: d = s; break;
          case BPF_AND: d &= s; break;
          case BPF_RSH: d >>= s; break;
          default: ADD_FAILURE() << "alu op " << int(i.code); return -1;
        }
        reg[i.dst_reg] = d;
        break;
      }
      case BPF_JMP: {
        if (BPF_OP(i.code) == BPF_EXIT) return static_cast<int>(reg[0]);
        bool taken = false;
        if (BPF_OP(i.code) == BPF_JNE) taken = reg[i.dst_reg] != src;
        else if (BPF_OP(i.code) == BPF_JEQ) taken = reg[i.dst_reg] == src;
        else { ADD_FAILURE() << "jmp op " << int(i.code); return -1; }
        if (taken) pc += i.off;
        break;
      }
      default: ADD_FAILURE() << "class " << int(i.code); return -1;
    }
  }
  ADD_FAILURE() << "fell off the end";
  return -1;
}

std::vector<bpf_insn> compile(const std::vector<spec::DeviceRule>& rules) {
  auto policy = bpf::reduce_rules(rules);
  EXPECT_TRUE(policy);
  return bpf::device_program(*policy);
}

spec::DeviceRule rule(bool allow, std::string type, std::optional<int64_t> major, std::optional<int64_t> minor,
                      std::string access) {
  return spec::DeviceRule{allow, std::move(type), major, minor, std::move(access)};
}

}  // namespace

TEST(CgroupDevicesBpf, DockerStyleDenyAllThenAllowList) {
  auto prog = compile({rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 3, "rwm"), rule(true, "c", 1, 5, "rwm"),
                       rule(true, "c", 136, {}, "rwm"), rule(true, "c", 5, 1, "rw"),
                       rule(true, "c", {}, {}, "m")});
  EXPECT_EQ(run(prog, C, R | W, 1, 3), 1);   // /dev/null
  EXPECT_EQ(run(prog, C, R, 136, 7), 1);     // any pty
  EXPECT_EQ(run(prog, C, R | W, 5, 1), 1);   // console rw
  EXPECT_EQ(run(prog, C, M, 10, 200), 1);    // mknod of any char device
  EXPECT_EQ(run(prog, C, R | W | M, 5, 1), 0);  // console: not mknod+rw in one exception
  EXPECT_EQ(run(prog, C, R, 1, 4), 0);
  EXPECT_EQ(run(prog, B, R, 8, 0), 0);       // block devices denied
  EXPECT_EQ(run(prog, B, M, 8, 0), 0);
}

TEST(CgroupDevicesBpf, EmptyAndWildcardDefaults) {
  EXPECT_EQ(run(compile({}), C, R, 1, 3), 0);  // a new v2 cgroup denies by default
  auto allow_all = compile({rule(true, "a", {}, {}, "rwm")});
  EXPECT_EQ(run(allow_all, B, R | W, 8, 0), 1);
}

TEST(CgroupDevicesBpf, AllowAllThenDenySome) {
  auto prog = compile({rule(true, "a", {}, {}, "rwm"), rule(false, "b", 8, {}, "w"), rule(false, "c", 1, 3, "rwm")});
  EXPECT_EQ(run(prog, B, R, 8, 1), 1);
  EXPECT_EQ(run(prog, B, W, 8, 1), 0);
  EXPECT_EQ(run(prog, B, R | W, 8, 1), 0);  // any denied access denies the request
  EXPECT_EQ(run(prog, C, R, 1, 3), 0);
  EXPECT_EQ(run(prog, C, R, 1, 5), 1);
}

TEST(CgroupDevicesBpf, LaterRulesOverrideEarlierOnes) {
  // Allow then deny the same device: the deny takes the accesses back out.
  auto prog = compile({rule(false, "a", {}, {}, "rwm"), rule(true, "c", 1, 3, "rwm"), rule(false, "c", 1, 3, "w")});
  EXPECT_EQ(run(prog, C, R, 1, 3), 1);
  EXPECT_EQ(run(prog, C, W, 1, 3), 0);
  // A wildcard at the end resets everything before it.
  auto reset = compile({rule(true, "c", 1, 3, "rwm"), rule(false, "a", {}, {}, "rwm")});
  EXPECT_EQ(run(reset, C, R, 1, 3), 0);
}

TEST(CgroupDevicesBpf, UnknownTypeIsRefused) {
  auto p = bpf::reduce_rules({rule(true, "x", 1, 1, "r")});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::InvalidArgument);
}

TEST(CgroupDevicesV1, RuleStrings) {
  namespace v1 = berth::runtime::cgroup::detail::v1;
  EXPECT_EQ(v1::device_rule_string(rule(false, "a", {}, {}, "rwm")), "a *:* rwm");
  EXPECT_EQ(v1::device_rule_string(rule(true, "c", 1, 3, "rw")), "c 1:3 rw");
  EXPECT_EQ(v1::device_rule_string(rule(true, "b", {}, 2, "m")), "b *:2 m");
}
