// Host-wide, exclusive claims on the kernel objects a daemon programs: its
// bridges and its nftables table. Those are global to a network namespace,
// while data roots and exec roots are per daemon, so two berthds given the
// same --bridge or --firewall-table would otherwise share them without
// noticing: each would stack its own address on the bridge and take the
// other's rules for stale ones.
//
// A claim is an flock()ed file in one fixed directory (kClaimDir, not under
// an exec root, which differs per daemon), named after the object and the
// network namespace it lives in (the same bridge name in another namespace is
// another bridge). The holder writes its pid and data root into the file so
// that a refused claimer can say who holds it. The kernel drops the lock when
// the holder's last fd on it closes, at any exit, kill -9 included, so a dead
// daemon never blocks the next one; the fd is close-on-exec, so shims and
// containers never inherit it. A released claim removes its file; a claimer
// that locked a file removed meanwhile notices (inode check) and retries.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::net {

// Root-only (/run is 0755 root), unlike /run/lock, where anyone could make
// the directory first.
inline constexpr const char* kClaimDir = "/run/berth-locks";

enum class ClaimKind { Bridge, NftTable };

// Who holds a claim, as the holder wrote it.
struct ClaimHolder {
  pid_t pid = 0;
  std::string data_root;
};
// The file's text ("pid=N\ndata-root=PATH\n") and back; nullopt when the text
// has no pid (a holder that has not written it yet).
std::string format_claim_holder(const ClaimHolder& holder);
std::optional<ClaimHolder> parse_claim_holder(std::string_view text);

// "bridge berth0", "nftables table ip berth".
std::string claim_object(ClaimKind kind, const std::string& name);

class HostClaim {
 public:
  HostClaim() = default;  // holds nothing
  HostClaim(HostClaim&& other) noexcept = default;
  HostClaim& operator=(HostClaim&& other) noexcept;
  HostClaim(const HostClaim&) = delete;
  HostClaim& operator=(const HostClaim&) = delete;
  ~HostClaim() { release(); }

  // Takes the claim on `name` (a bridge or table name) in this thread's
  // network namespace, creating `dir` (0755) when missing; `data_root` is
  // recorded for whoever is refused later. Errors:
  //   Conflict "bridge X is in use by another berthd (pid N, data root D)"
  //   PermissionDenied when `dir` is not a directory of ours that only we
  //   may write (an unsafe place for locks)
  static Result<HostClaim> take(const std::string& dir, ClaimKind kind, const std::string& name,
                                const std::string& data_root);

  bool held() const { return static_cast<bool>(fd_); }
  // Removes the file and drops the lock (idempotent).
  void release();

 private:
  HostClaim(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

}  // namespace berth::net
