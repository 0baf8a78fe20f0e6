#include "buildfs/extract.h"

#include <archive_entry.h>

#include "base/log.h"
#include "base/strings.h"
#include "layer/container_archive.h"
#include "layer/entry_writer.h"

namespace berth::buildfs {
namespace {

// Go's filepath.Join("/", name) made relative: ".." stops at the root.
std::string clamp(const char* name) {
  std::string out = join(layer::container_fs::clean_parts(name), "/");
  return out.empty() ? "." : out;
}

}  // namespace

Result<uint64_t> extract_entries(archive* a, int dir_fd, const ExtractRules& rules,
                                 const layer::SourceError& source_error) {
  layer::EntryPolicy policy;
  policy.clamp_dotdot = true;  // as in the chroot Docker extracts in
  policy.naming = {rules.noun, rules.root};
  layer::EntryWriter writer(dir_fd, std::move(policy));
  uint64_t skipped = 0;
  std::string what = "extracting " + rules.noun;
  TRYV(layer::for_each_entry(
      a, what,
      [&](archive_entry* e) -> Result<void> {
        if (const char* name = archive_entry_pathname(e)) archive_entry_copy_pathname(e, clamp(name).c_str());
        const char* link = archive_entry_hardlink(e);
        if (link) archive_entry_copy_hardlink(e, clamp(link).c_str());
        auto type = archive_entry_filetype(e);
        if (rules.skip_devices && !link && (type == AE_IFCHR || type == AE_IFBLK)) {
          log::debug("{}: skipping device node {}", what, archive_entry_pathname(e));
          ++skipped;
          return {};
        }
        auto path = TRY(writer.admit(e));
        TRYV(writer.write(a, e, path));
        if (rules.after_entry) return rules.after_entry(a, e);
        return {};
      },
      source_error));
  TRYV(writer.finish());
  return writer.entries() + skipped;
}

}  // namespace berth::buildfs
