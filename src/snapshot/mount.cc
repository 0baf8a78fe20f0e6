#include "snapshot/mount.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <thread>
#include <utility>

#include "base/log.h"
#include "base/unique_fd.h"
#include "sys/run_program.h"

namespace berth::snapshot {
namespace {

// mount(8)-style flag options; everything else is filesystem data.
struct FlagOption {
  const char* name;
  unsigned long set;    // MS_* for mount(2)
  unsigned long clear;
  uint64_t attr;        // MOUNT_ATTR_* for fsmount
};
constexpr FlagOption kFlags[] = {
    {"ro", MS_RDONLY, 0, MOUNT_ATTR_RDONLY},
    {"rw", 0, MS_RDONLY, 0},
    {"nosuid", MS_NOSUID, 0, MOUNT_ATTR_NOSUID},
    {"nodev", MS_NODEV, 0, MOUNT_ATTR_NODEV},
    {"noexec", MS_NOEXEC, 0, MOUNT_ATTR_NOEXEC},
    {"noatime", MS_NOATIME, 0, MOUNT_ATTR_NOATIME},
    {"relatime", MS_RELATIME, 0, MOUNT_ATTR_RELATIME},
    {"bind", MS_BIND, 0, 0},
    {"rbind", MS_BIND | MS_REC, 0, 0},
};

// A Mount's options split into flags and data, overlay layers taken apart.
struct Parsed {
  unsigned long flags = 0;
  uint64_t attrs = 0;
  std::vector<std::string> lowers;  // as written (':' inside a path escaped as "\:")
  std::string upper, work;
  std::vector<std::string> data;    // every other data option, "key=value" or "key"
};

Parsed parse(const Mount& m) {
  Parsed p;
  for (const auto& o : m.options) {
    bool is_flag = false;
    for (const auto& f : kFlags) {
      if (o != f.name) continue;
      p.flags = (p.flags | f.set) & ~f.clear;
      if (f.clear & MS_RDONLY) p.attrs &= ~uint64_t{MOUNT_ATTR_RDONLY};
      p.attrs |= f.attr;
      is_flag = true;
    }
    if (is_flag) continue;
    if (o.starts_with("lowerdir=")) {
      std::string cur;
      std::string_view v = std::string_view(o).substr(9);
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) {
          cur += v[i];
          cur += v[++i];
        } else if (v[i] == ':') {
          p.lowers.push_back(std::exchange(cur, {}));
        } else {
          cur += v[i];
        }
      }
      p.lowers.push_back(cur);
    } else if (o.starts_with("upperdir=")) {
      p.upper = o.substr(9);
    } else if (o.starts_with("workdir=")) {
      p.work = o.substr(8);
    } else {
      p.data.push_back(o);
    }
  }
  return p;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ':' || c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// A path of m made absolute: relative ones are relative to Mount::chdir.
std::string absolute(const Mount& m, const std::string& p) {
  if (p.empty() || p.starts_with('/') || m.chdir.empty()) return p;
  return m.chdir + "/" + p;
}

std::string overlay_data(const Mount& m, const Parsed& p, bool make_absolute) {
  auto path = [&](const std::string& s) { return make_absolute ? escape(absolute(m, unescape(s))) : s; };
  std::string data;
  auto add = [&](const std::string& o) { data += (data.empty() ? "" : ",") + o; };
  for (const auto& o : p.data) add(o);
  if (!p.work.empty()) add("workdir=" + path(p.work));
  if (!p.upper.empty()) add("upperdir=" + path(p.upper));
  if (!p.lowers.empty()) {
    std::string l = "lowerdir=";
    for (size_t i = 0; i < p.lowers.size(); ++i) l += (i ? ":" : "") + path(p.lowers[i]);
    add(l);
  }
  return data;
}

size_t page_size() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

// The kernel explains fsconfig failures on the context fd ("e overlayfs: ...").
std::string kernel_messages(int fsfd) {
  std::string out;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fsfd, buf, sizeof buf);
    if (n <= 0) break;
    std::string_view line(buf, static_cast<size_t>(n));
    if (line.size() > 2 && line[1] == ' ') line.remove_prefix(2);
    out += (out.empty() ? " (" : "; ") + std::string(line);
  }
  return out.empty() ? out : out + ")";
}

Result<void> overlay_new_api(const Mount& m, const Parsed& p, const std::string& target) {
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) return fail(Errc::Unsupported, "fsopen(overlay) is not available", errno);
  auto config = [&](const char* key, const std::string* value, bool first_lower = false) -> Result<void> {
    int rc = value ? ::fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value->c_str(), 0)
                   : ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, key, nullptr, 0);
    if (rc == 0) return {};
    int err = errno;
    std::string what = std::string("overlay option ") + key + (value ? "=" + *value : "");
    // A kernel before 6.8 has no lowerdir+: say so, so that the caller falls back.
    if (first_lower && err == EINVAL)
      return fail(Errc::Unsupported, what + ": the kernel lacks lowerdir+" + kernel_messages(fs.get()), err);
    return fail(errc_from_errno(err), what + kernel_messages(fs.get()), err);
  };
  std::string source = m.source.empty() ? "overlay" : m.source;
  TRYV(config("source", &source));
  for (size_t i = 0; i < p.lowers.size(); ++i) {
    std::string l = absolute(m, unescape(p.lowers[i]));
    TRYV(config("lowerdir+", &l, i == 0));
  }
  if (!p.upper.empty()) {
    std::string u = absolute(m, unescape(p.upper));
    TRYV(config("upperdir", &u));
  }
  if (!p.work.empty()) {
    std::string w = absolute(m, unescape(p.work));
    TRYV(config("workdir", &w));
  }
  for (const auto& o : p.data) {
    auto eq = o.find('=');
    if (eq == std::string::npos) {
      TRYV(config(o.c_str(), nullptr));
    } else {
      std::string key = o.substr(0, eq), value = o.substr(eq + 1);
      TRYV(config(key.c_str(), &value));
    }
  }
  if (p.flags & MS_RDONLY) TRYV(config("ro", nullptr));
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    int err = errno;
    return fail(errc_from_errno(err), "creating the overlay superblock" + kernel_messages(fs.get()), err);
  }
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(p.attrs)));
  if (!mnt) return fail_errno("fsmount of the overlay");
  if (::move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return fail_errno("attaching the overlay at " + target);
  return {};
}

Result<void> classic(const Mount& m, unsigned long flags, const std::string& data, const std::string& target) {
  if (::mount(m.source.c_str(), target.c_str(), m.type.c_str(), flags, data.c_str()) != 0)
    return fail_errno(m.type + " mount(2) with " + std::to_string(data.size()) + " bytes of options");
  return {};
}

Result<void> overlay_classic_absolute(const Mount& m, const Parsed& p, const std::string& target) {
  std::string data = overlay_data(m, p, /*make_absolute=*/true);
  if (data.size() + 1 > page_size())
    return fail(Errc::Unsupported, "absolute overlay options take " + std::to_string(data.size()) +
                                       " bytes, more than one page");
  return classic(m, p.flags, data, target);
}

Result<void> overlay_classic_relative(const Mount& m, const Parsed& p, const std::string& target) {
  std::string data = overlay_data(m, p, /*make_absolute=*/false);
  if (data.size() + 1 > page_size())
    return fail(Errc::Unsupported, "overlay options take " + std::to_string(data.size()) +
                                       " bytes even with relative paths, more than one page");
  if (m.chdir.empty()) return classic(m, p.flags, data, target);
  // The working directory is per process unless a thread unshares it: this
  // thread gets its own copy, changes it and exits, leaving everyone else's alone.
  Result<void> result;
  try {
    std::thread worker([&] {
      if (::unshare(CLONE_FS) != 0) {
        result = fail_errno("unshare(CLONE_FS) in the mounting thread");
        return;
      }
      if (::chdir(m.chdir.c_str()) != 0) {
        result = fail_errno("changing the mounting thread's directory to " + m.chdir);
        return;
      }
      result = classic(m, p.flags, data, target);
    });
    worker.join();
  } catch (const std::system_error& e) {
    return fail(Errc::Internal, std::string("starting the mounting thread: ") + e.what());
  }
  return result;
}

Result<void> bind(const Mount& m, const std::string& target) {
  Parsed p = parse(m);
  std::string source = absolute(m, m.source);
  unsigned long flags = (p.flags & ~MS_RDONLY) | MS_BIND;
  if (::mount(source.c_str(), target.c_str(), nullptr, flags, nullptr) != 0)
    return fail_errno("bind mounting " + source + " on " + target);
  // A bind mount ignores MS_RDONLY (and the other per-mount flags) until remounted.
  unsigned long per_mount = p.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_RELATIME);
  if (per_mount &&
      ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | per_mount, nullptr) != 0) {
    int err = errno;
    ::umount2(target.c_str(), MNT_DETACH);
    return fail_errno("making the bind mount of " + source + " on " + target + " read-only", err);
  }
  return {};
}

Result<std::string> resolve_target(const std::string& target) {
  char buf[PATH_MAX];
  if (!::realpath(target.c_str(), buf)) return fail_errno("mount target " + target);
  return std::string(buf);
}

// fuse-overlayfs serves the mount from a process of its own; it returns once
// the filesystem is mounted, and exits when it is unmounted.
Result<void> fuse_overlay(const Mount& m, const std::string& target) {
  Parsed p = parse(m);
  if (p.upper.empty())
    return fail(Errc::Unsupported, "fuse-overlayfs cannot mount a read-only view of several layers");
  p.data.clear();
  sys::ProgramOptions o;
  o.timeout = std::chrono::seconds(30);
  auto r = TRY(sys::run_program({"fuse-overlayfs", "-o", overlay_data(m, p, true), target}, o));
  if (r.status != 0)
    return fail(Errc::Internal, "fuse-overlayfs exited with status " + std::to_string(r.status) + ": " + r.err);
  return {};
}

Result<void> mount_one(const Mount& m, const std::string& target) {
  if (m.type == "bind" || m.type == "rbind") return bind(m, target);
  if (m.type == "fuse-overlayfs") return fuse_overlay(m, target);
  if (m.type != "overlay") {
    Parsed p = parse(m);
    std::string data;
    for (const auto& o : p.data) data += (data.empty() ? "" : ",") + o;
    return classic(m, p.flags, data, target);
  }
  std::string errors;
  for (auto method : {OverlayMethod::NewApi, OverlayMethod::ClassicAbsolute, OverlayMethod::ClassicRelative}) {
    auto r = mount_overlay(m, target, method);
    if (r) return {};
    if (method == OverlayMethod::ClassicRelative && m.chdir.empty()) continue;
    errors += std::string(errors.empty() ? "" : "; ") + overlay_method_name(method) + ": " + r.error().str();
  }
  return fail(Errc::Internal, "mounting overlay on " + target + ": " + errors);
}

}  // namespace

const char* overlay_method_name(OverlayMethod method) {
  switch (method) {
    case OverlayMethod::NewApi: return "new mount API";
    case OverlayMethod::ClassicAbsolute: return "mount(2) with absolute paths";
    case OverlayMethod::ClassicRelative: return "mount(2) with relative paths";
  }
  return "?";
}

Result<void> mount_overlay(const Mount& m, const std::string& target, OverlayMethod method) {
  if (m.type != "overlay") return fail(Errc::InvalidArgument, "not an overlay mount: " + m.type);
  std::string t = TRY(resolve_target(target));
  Parsed p = parse(m);
  switch (method) {
    case OverlayMethod::NewApi: return overlay_new_api(m, p, t);
    case OverlayMethod::ClassicAbsolute: return overlay_classic_absolute(m, p, t);
    case OverlayMethod::ClassicRelative: return overlay_classic_relative(m, p, t);
  }
  return fail(Errc::InvalidArgument, "unknown overlay mount method");
}

Result<void> mount_all(const std::vector<Mount>& ms, const std::string& target) {
  std::string t = TRY(resolve_target(target));
  for (size_t i = 0; i < ms.size(); ++i) {
    auto r = mount_one(ms[i], t);
    if (r) continue;
    for (size_t j = 0; j < i; ++j) ::umount2(t.c_str(), MNT_DETACH);  // undo what stacked so far
    return std::unexpected(std::move(r.error()).wrap("mounting " + ms[i].type + " on " + t));
  }
  return {};
}

Result<void> unmount_all(const std::string& target) {
  constexpr int kMaxLayers = 64, kBusyRetries = 10;
  int busy = 0;
  for (int i = 0; i < kMaxLayers;) {
    if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0) {
      ++i;
      busy = 0;
      continue;
    }
    if (errno == EINVAL || errno == ENOENT) return {};  // nothing (more) mounted there
    if (errno != EBUSY) return fail_errno("unmounting " + target);
    if (++busy < kBusyRetries) {
      ::usleep(10'000);  // an fd or process may be about to let go
      continue;
    }
    if (::umount2(target.c_str(), UMOUNT_NOFOLLOW | MNT_DETACH) != 0)
      return fail_errno("detaching busy mount " + target);
    log::warn("{} stayed busy; detached lazily, it goes away once its last user does", target);
    ++i;
    busy = 0;
  }
  return fail(Errc::Internal, "unmounting " + target + ": still mounted after " +
                                  std::to_string(kMaxLayers) + " unmounts");
}

}  // namespace berth::snapshot
