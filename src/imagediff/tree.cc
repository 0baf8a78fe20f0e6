#include "imagediff/tree.h"

#include <archive_entry.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <memory>

#include "layer/tar_reader.h"

namespace berth::imagediff {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::string_view kWhiteoutMeta = ".wh..wh.";  // aufs' own files (.wh..wh.plnk, ...)

FileType type_of(mode_t t) {
  switch (t) {
    case AE_IFDIR: return FileType::Directory;
    case AE_IFLNK: return FileType::Symlink;
    case AE_IFCHR: return FileType::CharDevice;
    case AE_IFBLK: return FileType::BlockDevice;
    case AE_IFIFO: return FileType::Fifo;
    case AE_IFSOCK: return FileType::Socket;
    default: return FileType::Regular;
  }
}

template <class Map>
void erase_below(Map& m, const std::string& dir) {
  std::string prefix = dir + "/";
  auto it = m.lower_bound(prefix);
  while (it != m.end() && it->first.compare(0, prefix.size(), prefix) == 0) it = m.erase(it);
}

template <class Map>
void erase_tree(Map& m, const std::string& path) {
  m.erase(path);
  erase_below(m, path);
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::string_view file_type_name(FileType t) {
  switch (t) {
    case FileType::Regular: return "file";
    case FileType::Directory: return "dir";
    case FileType::Symlink: return "symlink";
    case FileType::CharDevice: return "char";
    case FileType::BlockDevice: return "block";
    case FileType::Fifo: return "fifo";
    case FileType::Socket: return "socket";
  }
  return "file";
}

std::optional<std::string> normalize_entry_path(std::string_view name) {
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    auto part = name.substr(start, end - start);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") {
      out += '/';
      out += part;
    }
    start = end + 1;
  }
  return out;
}

Result<LayerScan> scan_layer(archive* tar, const std::string& what, const ScanOptions& options) {
  LayerScan scan;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  if (!md) return fail(Errc::Internal, "allocating a sha256 context");
  auto read_error = [&](const std::string& path) {
    const char* text = archive_error_string(tar);
    return fail(Errc::InvalidArgument, what + ": reading " + path + ": " + (text ? text : "unreadable entry"));
  };
  TRYV(layer::for_each_entry(tar, what, [&](archive_entry* e) -> Result<void> {
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    auto path = normalize_entry_path(name);
    if (!path) return fail(Errc::InvalidArgument, what + ": entry " + name + " leaves the image's root");
    if (path->empty()) return {};  // the root directory itself
    auto slash = path->rfind('/');
    std::string dir = path->substr(0, slash);
    std::string_view base = std::string_view(*path).substr(slash + 1);
    // aufs' own files (/.wh..wh.plnk/...) are not the image's; Docker skips them too.
    bool aufs_meta = std::string_view(*path).substr(1).starts_with(kWhiteoutMeta);
    if (base.starts_with(kWhiteoutPrefix) && !aufs_meta) {
      if (base == kOpaqueMarker) {
        scan.opaque_dirs.push_back(dir);
      } else if (!base.starts_with(kWhiteoutMeta)) {
        scan.whiteouts.push_back(dir + "/" + std::string(base.substr(kWhiteoutPrefix.size())));
      }
      return {};
    }
    LayerScan::Entry entry;
    entry.path = *path;
    FileInfo& info = entry.info;
    info.mode = static_cast<uint32_t>(archive_entry_perm(e)) & 07777;
    info.uid = static_cast<uint32_t>(archive_entry_uid(e));
    info.gid = static_cast<uint32_t>(archive_entry_gid(e));
    if (const char* hl = archive_entry_hardlink(e)) {
      auto target = normalize_entry_path(hl);
      if (!target || target->empty())
        return fail(Errc::InvalidArgument, what + ": hard link " + name + " points outside the image's root");
      entry.hardlink_to = *target;
      if (!aufs_meta) scan.entries.push_back(std::move(entry));
      return {};
    }
    info.type = type_of(archive_entry_filetype(e));
    if (info.type == FileType::Symlink) {
      const char* target = archive_entry_symlink(e);
      info.link = target ? target : "";
    } else if (info.type == FileType::CharDevice || info.type == FileType::BlockDevice) {
      info.rdev = static_cast<uint64_t>(archive_entry_rdev(e));
    }
    if (info.type == FileType::Regular) {
      int64_t size = archive_entry_size(e);
      info.size = size > 0 ? static_cast<uint64_t>(size) : 0;
      scan.file_bytes += info.size;
      bool capture = options.capture && options.capture(entry.path);
      if (capture && info.size > options.capture_limit)
        return fail(Errc::InvalidArgument, what + ": " + entry.path + " is larger than " +
                                               std::to_string(options.capture_limit) + " bytes, too large to read");
      if (options.hash_contents || capture) {
        std::string bytes;
        if (options.hash_contents && EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1)
          return fail(Errc::Internal, "starting a sha256");
        const void* buf = nullptr;
        size_t len = 0;
        la_int64_t offset = 0;
        for (;;) {
          int r = archive_read_data_block(tar, &buf, &len, &offset);
          if (r == ARCHIVE_EOF) break;
          if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return read_error(entry.path);
          if (options.hash_contents) EVP_DigestUpdate(md.get(), buf, len);
          if (capture) {
            if (bytes.size() + len > options.capture_limit)
              return fail(Errc::InvalidArgument, what + ": " + entry.path + " is larger than its header says");
            bytes.append(static_cast<const char*>(buf), len);
          }
        }
        if (options.hash_contents) {
          Sha256 d{};
          unsigned int n = 0;
          EVP_DigestFinal_ex(md.get(), d.data(), &n);
          info.digest = d;
        }
        if (capture) scan.captured[entry.path] = std::move(bytes);
      }
    }
    if (aufs_meta) {
      if (info.type == FileType::Regular) scan.hidden[entry.path] = std::move(info);
      return {};
    }
    scan.entries.push_back(std::move(entry));
    return {};
  }));
  return scan;
}

void ImageFs::apply(LayerScan&& layer) {
  for (const auto& w : layer.whiteouts) {
    erase_tree(files, w);
    erase_tree(captured, w);
  }
  for (const auto& d : layer.opaque_dirs) {
    erase_below(files, d);
    erase_below(captured, d);
  }
  for (auto& e : layer.entries) {
    std::optional<std::string> bytes;
    if (!e.hardlink_to.empty()) {
      // Both names are one inode: the target's type, mode, owner and content.
      auto target = files.find(e.hardlink_to);
      if (target != files.end() && target->second.type != FileType::Directory) {
        e.info = target->second;
        if (auto c = captured.find(e.hardlink_to); c != captured.end()) bytes = c->second;
      } else if (auto h = layer.hidden.find(e.hardlink_to); h != layer.hidden.end()) {
        e.info = h->second;
      }
    } else if (auto c = layer.captured.find(e.path); c != layer.captured.end()) {
      bytes = c->second;  // a path written twice in one layer: the last bytes, each time
    }
    auto it = files.find(e.path);
    if (it != files.end() && it->second.type == FileType::Directory && e.info.type != FileType::Directory) {
      erase_below(files, e.path);
      erase_below(captured, e.path);
    }
    files.insert_or_assign(e.path, std::move(e.info));
    if (bytes) {
      captured.insert_or_assign(e.path, std::move(*bytes));
    } else {
      captured.erase(e.path);
    }
  }
}

}  // namespace berth::imagediff
