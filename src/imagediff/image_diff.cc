#include "imagediff/image_diff.h"

#include <functional>
#include <map>

#include "layer/tar_input.h"

namespace berth::imagediff {
namespace {

using content::Digest;

std::function<bool(std::string_view)> capture_for(const std::vector<DiffType>& types) {
  bool apt = has_type(types, DiffType::Apt), apk = has_type(types, DiffType::Apk);
  if (!apt && !apk) return nullptr;
  return [apt, apk](std::string_view path) {
    if (apt && (path == kDpkgStatus || (path.starts_with(kDpkgStatusDir) && path.size() > sizeof kDpkgStatusDir &&
                                        path[sizeof kDpkgStatusDir - 1] == '/')))
      return true;
    return apk && path == kApkInstalled;
  };
}

Result<void> verify(const SourceLayer& layer, const layer::TarInput& in, const std::string& what) {
  if (layer.blob && in.digest && *in.digest != *layer.blob)
    return fail(Errc::InvalidArgument,
                what + ": its bytes hash to " + in.digest->str() + ", not to its digest " + layer.blob->str());
  if (in.diff_id && *in.diff_id != layer.diff_id)
    return fail(Errc::InvalidArgument, what + ": its tar hashes to " + in.diff_id->str() +
                                           ", not to the diff ID its config lists (" + layer.diff_id.str() + ")");
  return {};
}

// Applies layers [from, end) of `src` onto fs, each read once (a layer
// repeated in the stack is scanned once and applied at each place). When the
// stack reaches `fork_at` layers (from <= fork_at <= end), fork(fs) is called
// with the filesystem as it is then.
Result<void> build(ImageSource& src, size_t from, ImageFs& fs, const ScanOptions& options, size_t fork_at,
                   const std::function<void(const ImageFs&)>& fork) {
  const SourceImage& img = src.image();
  const size_t end = img.layers.size();
  std::map<Digest, size_t> first_of;  // diff ID -> the first index with it
  std::map<size_t, size_t> last_use;  // first index -> the last index using it
  std::vector<size_t> wanted;
  for (size_t i = from; i < end; ++i) {
    auto [it, added] = first_of.emplace(img.layers[i].diff_id, i);
    if (added) wanted.push_back(i);
    last_use[it->second] = i;
  }
  std::map<size_t, LayerScan> ready;  // scanned, waiting for their turn
  size_t next = from;
  bool forked = false;
  auto advance = [&] {
    for (;;) {
      if (next == fork_at && !forked) {
        fork(fs);
        forked = true;
      }
      if (next == end) return;
      size_t first = first_of.at(img.layers[next].diff_id);
      auto it = ready.find(first);
      if (it == ready.end()) return;
      if (last_use.at(first) == next) {
        fs.apply(std::move(it->second));
        ready.erase(it);
      } else {
        LayerScan copy = it->second;
        fs.apply(std::move(copy));
      }
      ++next;
    }
  };
  advance();
  if (!wanted.empty()) {
    TRYV(src.read_layers(wanted, [&](size_t i, layer::ByteSource& bytes) -> Result<void> {
      std::string what = "layer " + std::to_string(i + 1) + " of " + img.name;
      auto in = TRY_CTX(layer::TarInput::open(bytes), what);
      auto scan = TRY(scan_layer(in->tar(), what, options));
      TRYV_CTX(in->finish(), what);
      TRYV(verify(img.layers[i], *in, what));
      ready.emplace(i, std::move(scan));
      advance();
      return {};
    }));
  }
  advance();
  if (next != end || !forked)
    return fail(Errc::Internal, img.name + ": layer " + std::to_string(next + 1) + " was never read");
  return {};
}

std::optional<PackageIndex> dpkg_packages(const ImageFs& fs) {
  std::vector<Package> all;
  bool found = false;
  for (const auto& [path, bytes] : fs.captured) {
    bool status = path == kDpkgStatus;
    bool status_d = path.starts_with(std::string(kDpkgStatusDir) + "/") && !path.ends_with(".md5sums");
    if (!status && !status_d) continue;
    found = true;
    auto p = parse_dpkg_status(bytes);
    all.insert(all.end(), p.begin(), p.end());
  }
  if (!found) return std::nullopt;
  return index_packages(all);
}

std::optional<PackageIndex> apk_packages(const ImageFs& fs) {
  auto it = fs.captured.find(kApkInstalled);
  if (it == fs.captured.end()) return std::nullopt;
  return index_packages(parse_apk_installed(it->second));
}

size_t shared_prefix(const SourceImage& a, const SourceImage& b) {
  size_t k = 0;
  while (k < a.layers.size() && k < b.layers.size() && a.layers[k].diff_id == b.layers[k].diff_id) ++k;
  return k;
}

}  // namespace

Result<DiffResult> diff_images(ImageSource& a, ImageSource& b, const std::vector<DiffType>& types) {
  DiffResult r;
  r.types = types;
  const SourceImage& ia = a.image();
  const SourceImage& ib = b.image();
  if (has_type(types, DiffType::Size)) r.size = compare_sizes(ia, ib);
  if (has_type(types, DiffType::History)) r.history = compare_history(ia.config, ib.config);
  if (has_type(types, DiffType::Metadata)) r.metadata = compare_metadata(ia.config, ib.config);
  if (!needs_layers(types)) return r;

  ScanOptions options;
  options.hash_contents = has_type(types, DiffType::File);
  options.capture = capture_for(types);
  size_t k = shared_prefix(ia, ib);
  ImageFs fa, fb;
  // The shared layers come from the first image unless only the second is local.
  bool from_b = a.remote() && !b.remote();
  ImageSource& first = from_b ? b : a;
  ImageSource& second = from_b ? a : b;
  ImageFs& first_fs = from_b ? fb : fa;
  ImageFs& second_fs = from_b ? fa : fb;
  TRYV(build(first, 0, first_fs, options, k, [&](const ImageFs& shared) { second_fs = shared; }));
  TRYV(build(second, k, second_fs, options, k, [](const ImageFs&) {}));

  if (has_type(types, DiffType::File)) r.file = compare_files(fa.files, fb.files);
  if (has_type(types, DiffType::Apt)) r.apt = compare_packages(dpkg_packages(fa), dpkg_packages(fb));
  if (has_type(types, DiffType::Apk)) r.apk = compare_packages(apk_packages(fa), apk_packages(fb));
  return r;
}

}  // namespace berth::imagediff
