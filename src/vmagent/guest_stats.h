// What the agent reports about the guest: its kernel, and a container's
// cgroup numbers (the runtime library's stats) with the guest's memory and
// CPU totals, which stand for the VM's size.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "vmproto/messages.h"

namespace berth::vmagent {

std::string guest_kernel_release();

// `runtime_stats` is runtime::container_stats()'s JSON (runc's events --stats shape).
Result<vmproto::ContainerStats> container_stats_from(const nlohmann::json& runtime_stats);

// The parsers, apart for tests: /proc/meminfo (bytes) and /proc/stat's "cpu" line (ns).
void parse_meminfo(const std::string& text, uint64_t& total, uint64_t& available);
uint64_t parse_proc_stat_cpu_ns(const std::string& text, long ticks_per_second);

}  // namespace berth::vmagent
