// PID 1's duties in the guest before the agent serves: a root that
// pivot_root can leave (the initramfs cannot be pivoted away from), the
// kernel file systems, the driver modules the kernel lacks, and the
// virtio-serial port the host talks on.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::vmagent {

// One module path per line, in load order (dependencies first): written by
// scripts/vm-guest-image.sh.
inline constexpr const char* kModuleList = "/etc/berth-vm/modules";

// Makes / a mount that pivot_root can leave: a bind mount of the initramfs
// moved onto itself (no copy).
Result<void> make_root_pivotable();
// /proc, /sys, /dev (+pts, shm), /run, /tmp and cgroup2 with every
// controller enabled for the containers.
Result<void> mount_kernel_filesystems();
// Free page reporting (the host's virtio-balloon, docs/vm.md "Host memory
// per VM") reports only free blocks of at least this order: the kernel's
// default (pageblock_order, 4 MiB here) is a block an idle guest's freed
// pages rarely make up, so the host would keep them all.
inline constexpr int kPageReportingOrder = 5;  // 128 KiB
// Sets it (a kernel without page reporting has no such parameter: nothing to do).
void lower_page_reporting_order();
// Loads every module of kModuleList (one already loaded or built in is fine).
Result<void> load_modules();
// Waits (event-driven, bounded) for the virtio-serial port named `name` and opens it.
Result<UniqueFd> open_virtio_port(const std::string& name, int timeout_ms);
// Gives PID 1 a console on fds 0/1/2 when the kernel could not open one.
void ensure_console();
[[noreturn]] void power_off();

}  // namespace berth::vmagent
