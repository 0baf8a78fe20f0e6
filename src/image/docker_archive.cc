#include "image/docker_archive.h"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "image/archive_reader.h"
#include "base/go_json.h"
#include "image/export_sink.h"
#include "image/media_types.h"
#include "image/oci_layout_internal.h"
#include "image/reference.h"

namespace berth::image {
namespace {

using ojson = nlohmann::ordered_json;

// Docker's zero container.Config, as its legacy layer json carries it.
constexpr std::string_view kEmptyContainerConfig =
    R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,)"
    R"("AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,)"
    R"("Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,)"
    R"("Labels":null})";

// The layer as an uncompressed tar blob (its digest is the diff ID), decompressing
// into the content store once when only a compressed blob is there.
Result<Digest> uncompressed_blob(ImageService& svc, const Descriptor& layer, const Digest& diff_id) {
  if (layer.digest == diff_id || svc.content().exists(diff_id)) return diff_id;
  auto in = TRY(svc.content().open_blob(layer.digest));
  auto w = TRY(svc.content().writer(diff_id));
  TRYV_CTX(decompress(in.get(), [&](std::string_view c) { return w.write(c); }),
           "decompressing layer " + layer.digest.str());
  auto d = w.commit();
  if (!d) return std::unexpected(std::move(d.error()).wrap("layer " + layer.digest.str() +
                                                           " does not decompress to its diff ID"));
  return *d;
}

// Docker's image.V1Image as json.Marshal writes it (struct order, omitempty
// except created and container_config). For lower layers Docker writes an
// otherwise empty V1Image created at the epoch; the top one carries the
// image's own fields.
ojson v1_image(const ImageInfo& info, bool top) {
  ojson v1 = ojson::object();
  ojson cfg = top ? ojson::parse(info.config_bytes) : ojson::object();
  auto copy = [&](const char* key, bool always = false) {
    if (cfg.contains(key) && !(cfg[key].is_string() && cfg[key].get<std::string>().empty()))
      v1[key] = cfg[key];
    else if (always && std::string_view(key) == "container_config")
      v1[key] = ojson::parse(kEmptyContainerConfig);
  };
  copy("comment");
  v1["created"] = top && cfg.contains("created") ? cfg["created"] : ojson("1970-01-01T00:00:00Z");
  copy("container");
  copy("container_config", true);
  for (const char* k : {"docker_version", "author", "config", "architecture", "variant", "os"}) copy(k);
  return v1;
}

// Docker's v1.CreateID: the V1Image JSON re-marshalled as a Go map (top-level
// keys sorted, values as they were) plus layer_id and parent, hashed.
Digest v1_id(const ojson& v1, const Digest& chain, const std::string& parent) {
  std::map<std::string, ojson> fields;
  for (auto& [k, v] : v1.items()) fields[k] = v;
  fields.erase("id");
  fields["layer_id"] = chain.str();
  if (!parent.empty()) fields["parent"] = parent;
  ojson sorted = ojson::object();
  for (auto& [k, v] : fields) sorted[k] = v;
  return content::sha256(go::marshal(sorted));
}

// The layer's json file: id and parent first, then the V1Image fields, os set.
std::string v1_json(const ojson& v1, const Digest& id, const std::string& parent, const std::string& os) {
  ojson out{{"id", id.hex()}};
  if (!parent.empty()) out["parent"] = parent.substr(7);
  for (auto& [k, v] : v1.items())
    if (k != "os") out[k] = v;
  if (!os.empty()) out["os"] = os;
  return go::marshal(out);
}

}  // namespace

Result<void> export_docker_archive(ImageService& svc, const std::vector<std::string>& refs, int fd) {
  auto sink = tar_sink(fd);
  ojson manifest = ojson::array();
  ojson repositories = ojson::object();
  std::set<std::string> written;
  for (const auto& input : refs) {
    auto info = TRY(svc.inspect(input));
    auto id = TRY(Digest::parse(info.id));
    std::vector<std::string> repo_tags;
    if (auto r = Reference::parse(input);
        r && r->has_tag() && !is_full_hex_id(input) && !input.starts_with("sha256:")) {
      repo_tags.push_back(r->familiar());
    }
    const auto& diff_ids = info.config.rootfs ? info.config.rootfs->diff_ids : std::vector<Digest>{};
    auto chains = chain_ids(diff_ids);
    ojson layers = ojson::array();
    std::string parent;  // "sha256:<v1 id>"
    for (size_t i = 0; i < chains.size(); ++i) {
      bool top = i + 1 == chains.size();
      ojson v1 = v1_image(info, top);
      auto vid = v1_id(v1, chains[i], parent);
      if (!written.contains(vid.hex())) {
        auto blob = TRY(uncompressed_blob(svc, info.manifest.layers[i], diff_ids[i]));
        auto bi = TRY(svc.content().info(blob));
        auto bfd = TRY(svc.content().open_blob(blob));
        TRYV(sink->add_dir(vid.hex()));
        TRYV(sink->add_file(vid.hex() + "/VERSION", "1.0"));
        TRYV(sink->add_file(vid.hex() + "/json", v1_json(v1, vid, parent, info.config.os)));
        TRYV(sink->add_file_from_fd(vid.hex() + "/layer.tar", bfd.get(), bi.size));
        written.insert(vid.hex());
      }
      layers.push_back(vid.hex() + "/layer.tar");
      parent = vid.str();
    }
    std::string config_name = id.hex() + ".json";
    if (!written.contains(config_name)) {
      TRYV(sink->add_file(config_name, info.config_bytes));
      written.insert(config_name);
    }
    ojson entry{{"Config", config_name}};
    entry["RepoTags"] = repo_tags.empty() ? ojson(nullptr) : ojson(repo_tags);
    entry["Layers"] = layers;
    manifest.push_back(entry);
    for (const auto& t : repo_tags) {
      auto colon = t.rfind(':');
      if (!parent.empty()) repositories[t.substr(0, colon)][t.substr(colon + 1)] = parent.substr(7);
    }
  }
  TRYV(sink->add_file("manifest.json", manifest.dump()));
  if (!repositories.empty()) TRYV(sink->add_file("repositories", repositories.dump()));
  return sink->finish();
}

Result<std::vector<ImageInfo>> import_docker_archive(ImageService& svc, int fd) {
  auto contents = TRY(read_archive(fd, svc.content()));
  if (!contents.files.contains("manifest.json")) {
    if (contents.files.contains("index.json"))
      return detail::import_layout(svc, detail::archive_source(contents), {});
    return fail(Errc::InvalidArgument, "not a docker archive: no manifest.json or index.json");
  }
  auto bytes_of = [&](const std::string& path) -> Result<std::string> {
    if (auto it = contents.files.find(path); it != contents.files.end()) return it->second;
    return svc.content().read(TRY(contents.blob(path)));
  };
  auto mj = nlohmann::json::parse(contents.files["manifest.json"], nullptr, false);
  if (!mj.is_array()) return fail(Errc::InvalidArgument, "docker archive: manifest.json is not an array");
  std::vector<ImageInfo> out;
  for (size_t n = 0; n < mj.size(); ++n) {
    const auto& e = mj[n];
    std::string where = "manifest.json[" + std::to_string(n) + "]";
    if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string() ||
        !e.contains("Layers") || !e["Layers"].is_array())
      return fail(Errc::InvalidArgument, where + ": expected {Config, RepoTags, Layers}");
    auto config_bytes = TRY_CTX(bytes_of(e["Config"].get<std::string>()), where + ".Config");
    Manifest m;
    m.media_type = std::string(media::kOciManifest);
    m.config.media_type = std::string(media::kOciConfig);
    m.config.digest = image_id(config_bytes);
    m.config.size = static_cast<int64_t>(config_bytes.size());
    for (const auto& l : e["Layers"]) {
      if (!l.is_string()) return fail(Errc::InvalidArgument, where + ".Layers: expected strings");
      auto blob = TRY_CTX(contents.blob(l.get<std::string>()), where + ".Layers");
      Descriptor d;
      d.digest = blob;
      d.size = static_cast<int64_t>(TRY(svc.content().info(blob)).size);
      d.media_type = TRY(sniff_layer_media_type(svc.content(), blob));
      m.layers.push_back(d);
    }
    std::vector<std::string> refs;
    if (e.contains("RepoTags") && e["RepoTags"].is_array())
      for (const auto& t : e["RepoTags"])
        if (t.is_string()) refs.push_back(t.get<std::string>());
    out.push_back(TRY_CTX(svc.commit_image(config_bytes, serialize(m), refs), where));
  }
  return out;
}

}  // namespace berth::image
