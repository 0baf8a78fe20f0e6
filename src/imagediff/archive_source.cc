#include "imagediff/archive_source.h"

#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "image/media_types.h"
#include "layer/tar_reader.h"

namespace berth::imagediff {
namespace {

constexpr int64_t kMaxDocument = 8 << 20;        // a manifest, index or config
constexpr uint64_t kMaxDocuments = 64 << 20;     // all of them together
constexpr char kAttestation[] = "attestation-manifest";

// "a/./b/../c" -> "a/c"; nullopt when ".." climbs above the archive's root.
std::optional<std::string> clean_path(std::string_view p) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    auto part = p.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (auto part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

bool metadata_name(const std::string& path) {
  auto base = path.substr(path.rfind('/') + 1);
  return base.ends_with(".json") || base == "json";
}

// What the first pass learnt of the archive's entries.
struct Catalog {
  std::string path;  // the archive's, for messages
  std::map<std::string, std::string> documents;  // small JSON files, by entry path
  std::map<std::string, std::string> links;      // symlinks (as written) and hard links ("/" + target)
  std::map<std::string, int64_t> files;          // regular entries and their sizes

  // The regular entry that `name` is, following links (docker save links repeated layers).
  Result<std::string> resolve(const std::string& name) const {
    auto p = clean_path(name);
    for (int hops = 0; p && hops < 16; ++hops) {
      if (files.contains(*p)) return *p;
      auto l = links.find(*p);
      if (l == links.end()) return fail(Errc::InvalidArgument, path + ": the archive has no file " + name);
      auto slash = p->rfind('/');
      std::string dir = slash == std::string::npos ? "" : p->substr(0, slash + 1);
      p = clean_path(l->second.starts_with("/") ? l->second : dir + l->second);
    }
    return fail(Errc::InvalidArgument, path + ": " + name + " cannot be resolved inside the archive");
  }

  Result<std::string> document(const std::string& name) const {
    auto entry = TRY(resolve(name));
    auto it = documents.find(entry);
    if (it == documents.end())
      return fail(Errc::InvalidArgument, path + ": " + name + " is not a JSON document of at most 8 MiB");
    return it->second;
  }

  static std::string blob_path(const content::Digest& d) { return "blobs/" + d.algorithm() + "/" + d.hex(); }
};

Error archive_error(archive* a, const std::string& path, const std::string& doing) {
  const char* text = archive_error_string(a);
  return Error{Errc::InvalidArgument, 0, path + ": " + doing + ": " + (text ? text : "unreadable archive")};
}

Result<layer::ArchiveReader> open_reader(int fd, const std::string& path) {
  if (::lseek(fd, 0, SEEK_SET) < 0) return fail_errno("rewinding " + path);
  auto a = TRY(layer::new_reader(layer::TarStream::Tar));
  if (archive_read_open_fd(a.get(), fd, 1 << 20) != ARCHIVE_OK)
    return std::unexpected(archive_error(a.get(), path, "not a readable image archive"));
  return a;
}

Result<Catalog> catalog(int fd, const std::string& path) {
  Catalog c;
  c.path = path;
  auto a = TRY(open_reader(fd, path));
  uint64_t kept = 0;
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return std::unexpected(archive_error(a.get(), path, "not a readable image archive"));
    const char* raw = archive_entry_pathname(e);
    auto name = clean_path(raw ? raw : "");
    if (!name) return fail(Errc::InvalidArgument, path + ": entry " + std::string(raw) + " leaves the archive");
    if (name->empty()) continue;
    if (const char* hl = archive_entry_hardlink(e)) {
      c.links[*name] = "/" + std::string(hl);
      continue;
    }
    auto type = archive_entry_filetype(e);
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(e);
      c.links[*name] = target ? target : "";
      continue;
    }
    if (type != AE_IFREG) continue;
    int64_t size = archive_entry_size(e);
    c.files[*name] = size;
    bool named = metadata_name(*name), blob = name->starts_with("blobs/");
    if ((!named && !blob) || size > kMaxDocument) continue;  // skipped unread
    std::string bytes;
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    for (;;) {
      int rr = archive_read_data_block(a.get(), &buf, &len, &offset);
      if (rr == ARCHIVE_EOF) break;
      if (rr != ARCHIVE_OK && rr != ARCHIVE_WARN)
        return std::unexpected(archive_error(a.get(), path, "reading " + *name));
      // A blob is a document only when it is JSON: a layer is left at its first block.
      if (bytes.empty() && blob && !named && (len == 0 || static_cast<const char*>(buf)[0] != '{')) break;
      bytes.append(static_cast<const char*>(buf), len);
    }
    if (bytes.empty() && blob && !named) continue;
    kept += bytes.size();
    if (kept > kMaxDocuments) return fail(Errc::InvalidArgument, path + ": more than 64 MiB of JSON documents");
    c.documents[*name] = std::move(bytes);
  }
  return c;
}

std::optional<content::Digest> digest_of_blob_path(const std::string& entry) {
  if (!entry.starts_with("blobs/")) return std::nullopt;
  auto rest = entry.substr(6);
  auto slash = rest.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto d = content::Digest::from_parts(rest.substr(0, slash), rest.substr(slash + 1));
  return d ? std::optional(*d) : std::nullopt;
}

bool is_attestation(const image::Descriptor& d) {
  auto it = d.annotations.find("vnd.docker.reference.type");
  return it != d.annotations.end() && it->second == kAttestation;
}

// A layer's bytes: the current entry of the archive.
class EntrySource final : public layer::ByteSource {
 public:
  EntrySource(archive* a, std::string what) : a_(a), what_(std::move(what)) {}
  Result<size_t> read(char* buf, size_t cap) override {
    la_ssize_t n = archive_read_data(a_, buf, cap);
    if (n < 0) return std::unexpected(archive_error(a_, what_, "reading"));
    return static_cast<size_t>(n);
  }

 private:
  archive* a_;
  std::string what_;
};

}  // namespace

Result<std::unique_ptr<ArchiveSource>> ArchiveSource::open(const std::string& input, const std::string& path,
                                                           const std::optional<registry::PlatformSpec>& platform) {
  if (path.empty() || path.front() != '/')
    return fail(Errc::InvalidArgument, "archive path " + path + " is not absolute");
  std::unique_ptr<ArchiveSource> s(new ArchiveSource());
  s->path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno("opening archive " + path);
  s->fd_ = UniqueFd(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_errno("reading archive " + path);
  if (S_ISDIR(st.st_mode))
    return fail(Errc::InvalidArgument, path + " is a directory: image diff reads archive files (tar an OCI layout first)");
  Catalog c = TRY(catalog(fd, path));

  SourceImage& img = s->image_;
  img.input = input;
  img.kind = "archive";
  img.name = path;
  std::vector<image::Descriptor> layers;  // OCI: from the manifest
  std::vector<std::string> entries;       // docker save: the Layers paths
  if (c.documents.contains("manifest.json")) {
    auto m = nlohmann::json::parse(c.documents.at("manifest.json"), nullptr, false);
    if (!m.is_array() || m.empty() || !m[0].is_object())
      return fail(Errc::InvalidArgument, path + ": manifest.json lists no image");
    if (m.size() > 1) {
      std::string names;
      for (const auto& item : m) {
        auto tags = item.is_object() ? item.value("RepoTags", nlohmann::json::array()) : nlohmann::json::array();
        std::string tag = tags.is_array() && !tags.empty() && tags[0].is_string() ? tags[0].get<std::string>() : "untagged";
        names += (names.empty() ? "" : ", ") + tag;
      }
      return fail(Errc::InvalidArgument, path + " holds " + std::to_string(m.size()) + " images (" + names +
                                             "): image diff compares archives of one image");
    }
    auto config = m[0].value("Config", nlohmann::json());
    auto list = m[0].value("Layers", nlohmann::json());
    if (!config.is_string() || !list.is_array())
      return fail(Errc::InvalidArgument, path + ": manifest.json has no Config or Layers");
    img.config_bytes = TRY(c.document(config.get<std::string>()));
    for (const auto& l : list) {
      if (!l.is_string()) return fail(Errc::InvalidArgument, path + ": manifest.json has a layer that is not a path");
      entries.push_back(l.get<std::string>());
    }
  } else if (c.documents.contains("index.json")) {
    auto index = TRY_CTX(image::parse_index(c.documents.at("index.json")), path + ": index.json");
    std::vector<image::Descriptor> candidates;
    for (const auto& d : index.manifests) {
      if (image::media::is_index(d.media_type)) {
        auto nested = TRY_CTX(image::parse_index(TRY(c.document(Catalog::blob_path(d.digest)))),
                              path + ": index " + d.digest.str());
        for (const auto& n : nested.manifests)
          if (!is_attestation(n)) candidates.push_back(n);
      } else if (!is_attestation(d)) {
        candidates.push_back(d);
      }
    }
    if (candidates.empty()) return fail(Errc::InvalidArgument, path + ": index.json lists no image");
    image::Descriptor chosen = candidates[0];
    if (candidates.size() > 1) {
      bool all_platforms = true;
      for (const auto& d : candidates) all_platforms = all_platforms && d.platform.has_value();
      if (!all_platforms)
        return fail(Errc::InvalidArgument, path + " holds " + std::to_string(candidates.size()) +
                                               " images: image diff compares archives of one image");
      image::Index platforms;
      platforms.manifests = candidates;
      chosen = TRY_CTX(registry::select_manifest(platforms, platform.value_or(registry::host_platform())), path);
    }
    auto manifest = TRY_CTX(image::parse_manifest(TRY(c.document(Catalog::blob_path(chosen.digest)))),
                            path + ": manifest " + chosen.digest.str());
    img.config_bytes = TRY(c.document(Catalog::blob_path(manifest.config.digest)));
    layers = manifest.layers;
    for (const auto& l : layers) entries.push_back(Catalog::blob_path(l.digest));
  } else {
    return fail(Errc::InvalidArgument,
                path + " is not an image archive: it has neither manifest.json (docker save) nor index.json (OCI layout)");
  }
  img.config = TRY_CTX(image::parse_image_config(img.config_bytes), path + ": the image config");
  img.id = content::sha256(img.config_bytes).str();
  const auto& diff_ids = img.config.rootfs ? img.config.rootfs->diff_ids : std::vector<content::Digest>{};
  if (diff_ids.size() != entries.size())
    return fail(Errc::InvalidArgument, path + ": the image has " + std::to_string(entries.size()) +
                                           " layers but its config lists " + std::to_string(diff_ids.size()));
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string entry = TRY(c.resolve(entries[i]));
    SourceLayer l;
    l.diff_id = diff_ids[i];
    l.size = c.files.at(entry);
    if (!layers.empty()) {
      l.blob = layers[i].digest;
      l.media_type = layers[i].media_type;
    } else {
      l.blob = digest_of_blob_path(entry);
    }
    img.layers.push_back(std::move(l));
    s->layer_entries_.push_back(std::move(entry));
  }
  return s;
}

Result<void> ArchiveSource::read_layers(const std::vector<size_t>& wanted, const LayerFn& fn) {
  std::map<std::string, std::vector<size_t>> pending;  // entry -> layers in it
  for (size_t i : wanted) {
    if (i >= layer_entries_.size()) return fail(Errc::Internal, "layer index out of range");
    pending[layer_entries_[i]].push_back(i);
  }
  auto a = TRY(open_reader(fd_.get(), path_));
  while (!pending.empty()) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      return std::unexpected(archive_error(a.get(), path_, "not a readable image archive"));
    if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFREG) continue;
    const char* raw = archive_entry_pathname(e);
    auto name = clean_path(raw ? raw : "");
    if (!name) continue;
    auto it = pending.find(*name);
    if (it == pending.end()) continue;
    // Two layers in one entry would be one layer twice: the caller asks for each diff ID once.
    for (size_t i : it->second) {
      EntrySource bytes(a.get(), path_ + ": " + *name);
      TRYV(fn(i, bytes));
    }
    pending.erase(it);
  }
  if (!pending.empty())
    return fail(Errc::InvalidArgument, path_ + ": the archive ended before " + pending.begin()->first +
                                           " (a layer) was read: it is truncated or was changed meanwhile");
  return {};
}

}  // namespace berth::imagediff
