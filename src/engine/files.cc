// A container's files: export (flat tar), changes (docker diff) and commit
// (its writable layer becomes a new image).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

#include "base/clock.h"
#include "base/strings.h"
#include "engine/engine.h"
#include "image/changes.h"
#include "image/container_export.h"
#include "image/media_types.h"
#include "image/oci.h"
#include "image/reference.h"
#include "layer/layer.h"
#include "runtime/container.h"

namespace berth::engine {
namespace {

image::ContainerConfig image_config_of(const nlohmann::json& c) {
  image::ContainerConfig cc;
  if (auto u = c.value("User", ""); !u.empty()) cc.user = u;
  if (c.contains("ExposedPorts") && c["ExposedPorts"].is_object() && !c["ExposedPorts"].empty()) {
    std::set<std::string> ports;
    for (auto& [k, v] : c["ExposedPorts"].items()) ports.insert(k);
    cc.exposed_ports = ports;
  }
  if (c.contains("Env") && c["Env"].is_array()) cc.env = c["Env"].get<std::vector<std::string>>();
  if (c.contains("Entrypoint") && c["Entrypoint"].is_array())
    cc.entrypoint = c["Entrypoint"].get<std::vector<std::string>>();
  if (c.contains("Cmd") && c["Cmd"].is_array()) cc.cmd = c["Cmd"].get<std::vector<std::string>>();
  if (c.contains("Volumes") && c["Volumes"].is_object() && !c["Volumes"].empty()) {
    std::set<std::string> vols;
    for (auto& [k, v] : c["Volumes"].items()) vols.insert(k);
    cc.volumes = vols;
  }
  if (auto w = c.value("WorkingDir", ""); !w.empty()) cc.working_dir = w;
  if (c.contains("Labels") && c["Labels"].is_object() && !c["Labels"].empty())
    cc.labels = c["Labels"].get<std::map<std::string, std::string>>();
  if (auto s = c.value("StopSignal", ""); !s.empty()) cc.stop_signal = s;
  return cc;
}

}  // namespace

Result<void> Engine::export_fs(const std::string& ref, int out_fd) {
  auto c = TRY(find(ref));
  std::lock_guard lk(image_mu_);
  TRYV(image::export_container_fs(*images_, c->id, out_fd));
  std::lock_guard lk2(mu_);
  publish(*c, "export");
  return {};
}

Result<nlohmann::json> Engine::changes(const std::string& ref) {
  auto c = TRY(find(ref));
  std::vector<std::string> roots;
  {
    std::lock_guard lk(image_mu_);
    auto mounts = TRY(images_->snapshots().mounts(c->id));
    roots = TRY(image::layer_roots(mounts, c->id));
  }
  nlohmann::json out = nlohmann::json::array();
  if (roots.size() < 2) return out;
  std::vector<std::string> lowers(roots.begin() + 1, roots.end());
  for (const auto& ch : TRY(layer::diff(roots[0], lowers))) {
    int kind = ch.kind == layer::ChangeKind::Modified ? 0 : ch.kind == layer::ChangeKind::Added ? 1 : 2;
    out.push_back({{"Path", ch.path}, {"Kind", kind}});
  }
  return out;
}

Result<nlohmann::json> Engine::commit(const std::string& ref, const std::string& repo, const std::string& tag,
                                      const std::string& comment, const std::string& author, bool pause,
                                      const std::vector<std::string>& changes, const nlohmann::json& overrides) {
  auto c = TRY(find(ref));
  std::string reference;
  if (!repo.empty()) {
    auto r = TRY(image::Reference::parse(tag.empty() ? repo : repo + ":" + tag));
    reference = r.str();
  } else if (!tag.empty()) {
    return fail(Errc::InvalidArgument, "invalid reference format: a tag needs a repository");
  }
  nlohmann::json container_config;
  std::string image_id, command;
  bool running;
  {
    std::lock_guard lk(mu_);
    container_config = c->config;
    image_id = c->image_id;
    command = join(std::vector<std::string>{c->path}, "");
    for (const auto& a : c->args) command += " " + a;
    running = c->state.running && !c->state.paused;
  }
  if (overrides.is_object())
    for (auto& [k, v] : overrides.items())
      if (!v.is_null()) container_config[k] = v;
  runtime::RuntimeContext ctx;
  ctx.root = runtime_root();
  bool paused_here = false;
  if (pause && running) paused_here = runtime::pause_container(ctx, c->id).has_value();

  std::lock_guard lk(image_mu_);
  auto resume = [&] {
    if (paused_here) (void)runtime::resume_container(ctx, c->id);
  };
  auto parent = images_->inspect(image_id);
  if (!parent) {
    resume();
    return std::unexpected(parent.error());
  }
  auto mounts = images_->snapshots().mounts(c->id);
  if (!mounts) {
    resume();
    return std::unexpected(mounts.error());
  }
  auto roots = image::layer_roots(*mounts, c->id);
  if (!roots) {
    resume();
    return std::unexpected(roots.error());
  }
  // The writable layer as a tar, stored as a content blob (uncompressed, so
  // its digest is its diff ID).
  std::string tmp_path = images_->root() + "/commit-XXXXXX";
  int tfd = ::mkostemp(tmp_path.data(), O_CLOEXEC);
  if (tfd < 0) {
    resume();
    return fail_errno("creating a temporary file for the commit");
  }
  UniqueFd tmp(tfd);
  ::unlink(tmp_path.c_str());
  auto written = layer::write_diff_tar((*roots)[0], tmp.get());
  resume();
  if (!written) return std::unexpected(written.error());
  ::lseek(tmp.get(), 0, SEEK_SET);
  auto blob = TRY_CTX(images_->content().write_from_fd(written->diff_id, tmp.get()), "storing the committed layer");

  image::ImageConfig cfg = parent->config;
  image::ContainerConfig cc = image_config_of(container_config);
  TRYV(image::apply_changes(cc, changes));
  cfg.config = cc;
  cfg.created = rfc3339_now();
  cfg.author = author;
  if (!cfg.rootfs) cfg.rootfs = image::RootFs{};
  cfg.rootfs->diff_ids.push_back(written->diff_id);
  image::History h;
  h.created = cfg.created;
  h.author = author;
  h.created_by = command;
  h.comment = comment;
  cfg.history.push_back(h);
  cfg.extra["container"] = c->id;
  std::string config_bytes = image::serialize(cfg);

  image::Manifest m = parent->manifest;
  m.media_type = std::string(image::media::kOciManifest);
  m.config.media_type = std::string(image::media::kOciConfig);
  m.config.digest = image::image_id(config_bytes);
  m.config.size = static_cast<int64_t>(config_bytes.size());
  image::Descriptor l;
  l.media_type = std::string(image::media::kOciLayer);
  l.digest = blob;
  l.size = static_cast<int64_t>(written->size);
  m.layers.push_back(l);
  std::vector<std::string> refs;
  if (!reference.empty()) refs.push_back(reference);
  auto info = TRY_CTX(images_->commit_image(config_bytes, image::serialize(m), refs), "committing container " + c->id);
  {
    std::lock_guard lk2(mu_);
    publish(*c, "commit", {{"comment", comment}});
  }
  return nlohmann::json{{"Id", info.id}};
}

}  // namespace berth::engine
