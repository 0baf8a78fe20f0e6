#include "image/oci_layout.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/unique_fd.h"
#include "image/export_sink.h"
#include "image/media_types.h"
#include "image/oci_layout_internal.h"
#include "image/reference.h"

namespace berth::image {
namespace {

std::string blob_path(const Digest& d) { return "blobs/" + d.algorithm() + "/" + d.hex(); }

Result<void> export_layout(ImageService& svc, std::string_view ref, ExportSink& sink,
                           const OciExportOptions& options) {
  auto info = TRY(svc.inspect(ref));
  std::string ref_name = options.ref_name;
  std::string full_name;
  if (auto r = Reference::parse(ref); r && !is_full_hex_id(ref) && !ref.starts_with("sha256:")) {
    if (ref_name.empty()) ref_name = r->tag();
    full_name = r->str();
  }
  TRYV(sink.add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  TRYV(sink.add_dir("blobs"));
  TRYV(sink.add_dir("blobs/sha256"));
  auto put = [&](const Digest& d) -> Result<void> {
    auto bi = TRY(svc.content().info(d));
    auto fd = TRY(svc.content().open_blob(d));
    return sink.add_file_from_fd(blob_path(d), fd.get(), bi.size);
  };
  TRYV(put(info.manifest.config.digest));
  for (const auto& l : info.manifest.layers) TRYV(put(l.digest));
  TRYV(put(info.manifest_digest));

  Index index;
  index.media_type = std::string(media::kOciIndex);
  Descriptor d;
  d.media_type = info.manifest.media_type.empty() ? std::string(media::kOciManifest)
                                                  : info.manifest.media_type;
  d.digest = info.manifest_digest;
  d.size = static_cast<int64_t>(info.manifest_bytes.size());
  if (!ref_name.empty()) d.annotations[std::string(kRefNameAnnotation)] = ref_name;
  if (!full_name.empty()) d.annotations[std::string(kContainerdNameAnnotation)] = full_name;
  index.manifests.push_back(d);
  TRYV(sink.add_file("index.json", serialize(index)));
  return sink.finish();
}

}  // namespace

Result<void> export_oci_layout_dir(ImageService& svc, std::string_view ref, const std::string& dir,
                                   const OciExportOptions& options) {
  auto sink = TRY(dir_sink(dir));
  return export_layout(svc, ref, *sink, options);
}

Result<void> export_oci_layout_tar(ImageService& svc, std::string_view ref, int fd,
                                   const OciExportOptions& options) {
  auto sink = tar_sink(fd);
  return export_layout(svc, ref, *sink, options);
}

namespace detail {

LayoutSource archive_source(const ArchiveContents& contents) {
  return LayoutSource{
      [&contents](const std::string& path) -> Result<std::string> {
        if (auto it = contents.files.find(path); it != contents.files.end()) return it->second;
        return fail(Errc::NotFound, "archive has no " + path);
      },
      [&contents](const Descriptor& d) -> Result<void> {
        // read_archive verified blobs/<alg>/<hex> against its name already.
        auto got = contents.blob(blob_path(d.digest));
        if (!got) return fail(Errc::NotFound, "blob " + d.digest.str() + " is missing from the layout");
        return {};
      }};
}

namespace {

struct Candidate {
  Descriptor desc;
  std::string ref_name, full_name;
};

// Manifests of an index, descending into nested indexes (first matching platform).
Result<void> collect(const LayoutSource& src, ImageService& svc, const Index& index,
                     const std::string& inherited_name, std::vector<Candidate>& out, int depth) {
  if (depth > 4) return fail(Errc::InvalidArgument, "OCI layout: indexes nested too deeply");
  for (const auto& d : index.manifests) {
    std::string ref_name = inherited_name;
    if (auto a = d.annotations.find(std::string(kRefNameAnnotation)); a != d.annotations.end())
      ref_name = a->second;
    std::string full;
    if (auto a = d.annotations.find(std::string(kContainerdNameAnnotation)); a != d.annotations.end())
      full = a->second;
    if (media::is_manifest(d.media_type)) {
      if (d.platform && !d.platform->os.empty() && d.platform->os != "linux") continue;
      out.push_back({d, ref_name, full});
      if (depth > 0) return {};  // one platform per nested index is enough
    } else if (media::is_index(d.media_type)) {
      TRYV(src.fetch_blob(d));
      auto nested = TRY_CTX(parse_index(TRY(svc.content().read(d.digest))),
                            "parsing index " + d.digest.str());
      TRYV(collect(src, svc, nested, ref_name, out, depth + 1));
    }
  }
  return {};
}

}  // namespace

Result<std::vector<ImageInfo>> import_layout(ImageService& svc, const LayoutSource& src,
                                             const OciImportOptions& options) {
  auto layout = TRY_CTX(src.read_file("oci-layout"), "not an OCI image layout");
  auto lj = nlohmann::json::parse(layout, nullptr, false);
  if (!lj.is_object() || !lj.contains("imageLayoutVersion"))
    return fail(Errc::InvalidArgument, "OCI layout: oci-layout has no imageLayoutVersion");
  auto index = TRY_CTX(parse_index(TRY(src.read_file("index.json"))), "parsing index.json");
  std::vector<Candidate> candidates;
  TRYV(collect(src, svc, index, "", candidates, 0));
  std::vector<ImageInfo> out;
  for (const auto& c : candidates) {
    if (!options.ref_name.empty() && c.ref_name != options.ref_name) continue;
    TRYV_CTX(src.fetch_blob(c.desc), "manifest");
    auto manifest_bytes = TRY(svc.content().read(c.desc.digest));
    auto manifest = TRY_CTX(parse_manifest(manifest_bytes), "parsing manifest " + c.desc.digest.str());
    TRYV_CTX(src.fetch_blob(manifest.config), "config of " + c.desc.digest.str());
    for (const auto& l : manifest.layers) TRYV_CTX(src.fetch_blob(l), "layer of " + c.desc.digest.str());
    auto config_bytes = TRY(svc.content().read(manifest.config.digest));
    std::vector<std::string> refs;
    if (!options.reference.empty()) refs.push_back(options.reference);
    else if (!c.full_name.empty()) refs.push_back(c.full_name);
    else if (c.ref_name.find_first_of(":/") != std::string::npos && Reference::parse(c.ref_name))
      refs.push_back(c.ref_name);
    out.push_back(TRY(svc.commit_image(config_bytes, manifest_bytes, refs)));
  }
  if (out.empty())
    return fail(Errc::NotFound, options.ref_name.empty()
                                    ? "OCI layout has no image manifest"
                                    : "OCI layout has no manifest named " + options.ref_name);
  return out;
}

}  // namespace detail

Result<std::vector<ImageInfo>> import_oci_layout_dir(ImageService& svc, const std::string& dir,
                                                     const OciImportOptions& options) {
  detail::LayoutSource src{
      [&](const std::string& path) { return read_file(dir + "/" + path); },
      [&](const Descriptor& d) -> Result<void> {
        std::string p = dir + "/" + blob_path(d.digest);  // digest validated: no '/' or '..'
        UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) {
          if (errno == ENOENT) return fail(Errc::NotFound, "blob " + d.digest.str() + " is missing from the layout (" + p + ")");
          return fail_errno("opening " + p);
        }
        auto w = svc.content().write_from_fd(d.digest, fd.get(), static_cast<uint64_t>(d.size));
        if (!w) return std::unexpected(std::move(w.error()).wrap("blob " + p + " does not match its descriptor"));
        return {};
      }};
  return detail::import_layout(svc, src, options);
}

Result<std::vector<ImageInfo>> import_oci_layout_tar(ImageService& svc, int fd,
                                                     const OciImportOptions& options) {
  auto contents = TRY(read_archive(fd, svc.content()));
  return detail::import_layout(svc, detail::archive_source(contents), options);
}

}  // namespace berth::image
