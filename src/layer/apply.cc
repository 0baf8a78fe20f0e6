// apply(): stream a layer tar into a snapshot directory. Entries are written
// by EntryWriter (entry_writer.h), so an entry never lands outside the
// target; whiteouts are handled here.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <unordered_set>

#include "base/log.h"
#include "sys/userns.h"
#include "base/unique_fd.h"
#include "layer/entry_writer.h"
#include "layer/fs_util.h"
#include "layer/layer.h"
#include "layer/tar_input.h"
#include "layer/tar_reader.h"

namespace berth::layer {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

class Applier {
 public:
  Applier(int root, const ApplyOptions& opt)
      : opt_(opt),
        writer_(root, EntryPolicy{.max_entry_size = opt.max_entry_size, .max_total_size = opt.max_total_size}) {}

  Result<void> entry(archive* a, archive_entry* e);
  Result<void> finish() { return writer_.finish(); }
  uint64_t entries() const { return writer_.entries(); }

 private:
  Result<void> whiteout(int pfd, const std::string& parent, const std::string& leaf, const std::string& entry);

  const ApplyOptions& opt_;
  EntryWriter writer_;
  // Paths this layer wrote: whiteouts only hide lower layers' files.
  std::unordered_set<std::string> written_;
};

Result<void> Applier::whiteout(int pfd, const std::string& parent, const std::string& leaf,
                               const std::string& entry) {
  if (leaf == kOpaque) {
    if (opt_.format == Format::Overlay) {
      UniqueFd dir(::openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dir) return fail_errno("opening " + parent + " to mark it opaque");
      if (::fsetxattr(dir.get(), sys::overlay_opaque_xattr(), "y", 1, 0) != 0)
        return fail_errno("marking " + parent + " opaque");
      return {};
    }
    for (const auto& n : TRY(list_dir(pfd))) {
      std::string p = parent.empty() ? n : parent + "/" + n;
      if (!written_.contains(p)) TRYV(remove_at(pfd, n));
    }
    return {};
  }
  std::string name = leaf.substr(kWhiteoutPrefix.size());
  if (name.empty() || name == "." || name == "..") return refuse(entry, "whiteout of an invalid name");
  std::string target = parent.empty() ? name : parent + "/" + name;
  if (written_.contains(target)) return {};  // a whiteout hides lower layers only
  if (opt_.format == Format::Plain) return remove_at(pfd, name);
  TRYV(remove_at(pfd, name));
  if (::mknodat(pfd, name.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0)
    return fail_errno("creating whiteout for " + target);
  return {};
}

Result<void> Applier::entry(archive* a, archive_entry* e) {
  std::string path = TRY(writer_.admit(e));
  if (path.empty()) return writer_.write(a, e, path);  // "./": the snapshot's own root
  auto [parent, leaf] = split_parent(path);
  if (leaf.starts_with(kWhiteoutPrefix)) {
    int pfd = TRY(writer_.dir(parent, path));
    auto r = whiteout(pfd, parent, leaf, path);
    writer_.forget();  // the cached dir may be among what was removed
    return r;
  }
  // Implicitly created parents belong to this layer too (an opaque marker must not remove them).
  written_.insert(path);
  for (std::string p = parent; !p.empty() && written_.insert(p).second;) p = split_parent(p).first;
  return writer_.write(a, e, path);
}

Result<ApplyResult> apply_into(ByteSource& source, int root, const ApplyOptions& options) {
  auto in = TRY(TarInput::open(source));
  Applier applier(root, options);
  archive* a = in->tar();
  TRYV(for_each_entry(a, "reading layer tar", [&](archive_entry* e) { return applier.entry(a, e); }));
  TRYV(applier.finish());
  TRYV(in->finish());
  return ApplyResult{*in->diff_id, *in->digest, in->size, in->uncompressed_size, applier.entries()};
}

}  // namespace

Result<ApplyResult> apply(int fd, const std::string& target_dir, const ApplyOptions& options) {
  FdSource source(fd);
  return apply(source, target_dir, options);
}

Result<ApplyResult> apply(ByteSource& source, const std::string& target_dir, const ApplyOptions& options) {
  UniqueFd root(::open(target_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("opening layer target " + target_dir);
  auto result = apply_into(source, root.get(), options);
  if (!result) {
    // Leave nothing half-applied behind.
    if (auto r = empty_dir(root.get()); !r)
      log::warn("cleaning {} after a failed apply: {}", target_dir, r.error().str());
    return std::unexpected(std::move(result.error()).wrap("applying layer to " + target_dir));
  }
  return result;
}

}  // namespace berth::layer
