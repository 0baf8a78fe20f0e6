// SecretFiles: a private tmpfs, one directory per secret file in use.
#include "engine/build/secret_files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "base/unique_fd.h"

namespace berth::engine {

SecretFiles::~SecretFiles() {
  std::lock_guard lk(mu_);
  if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
}

void SecretFiles::open() {
  // A tmpfs left mounted by a daemon that died holds nothing anyone needs.
  while (::umount2(dir_.c_str(), MNT_DETACH) == 0) {
  }
  ::rmdir(dir_.c_str());
}

Result<void> SecretFiles::mount_once() {
  std::lock_guard lk(mu_);
  if (mounted_) return {};
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating " + dir_);
  // Small: secrets are passwords, keys and tokens (the API takes 500 KiB each at most).
  std::string options = "mode=0700,size=64m";
  if (dir_owner_)
    options += ",uid=" + std::to_string(dir_owner_->first) + ",gid=" + std::to_string(dir_owner_->second);
  if (::mount("berth-build-secrets", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options.c_str()) != 0)
    return fail_errno("mounting a tmpfs for build secrets at " + dir_);
  mounted_ = true;
  return {};
}

Result<std::unique_ptr<SecretFiles::File>> SecretFiles::write(std::string_view bytes, mode_t mode, uid_t uid,
                                                               gid_t gid) {
  TRYV(mount_once());
  std::string dir = dir_ + "/XXXXXX";
  if (!::mkdtemp(dir.data())) return fail_errno("creating a directory for a build secret");
  // 0711: the RUN's user (maybe not root) reaches the file only through its bind mount.
  ::chmod(dir.c_str(), 0711);
  auto file = std::make_unique<File>(dir);
  UniqueFd fd(::open(file->path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("creating a build secret's file");
  for (size_t off = 0; off < bytes.size();) {
    ssize_t n = ::write(fd.get(), bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("writing a build secret's file");
    off += static_cast<size_t>(n);
  }
  if (::fchown(fd.get(), uid, gid) != 0) return fail_errno("setting the owner of a build secret's file");
  if (::fchmod(fd.get(), mode) != 0) return fail_errno("setting the mode of a build secret's file");
  return file;
}

SecretFiles::File::~File() {
  ::unlink(path().c_str());
  ::rmdir(dir_.c_str());
}

}  // namespace berth::engine
