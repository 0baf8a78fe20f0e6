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
  image::CommitRequest req;
  req.snapshot_key = c->id;
  req.parent_image = image_id;
  req.config = image_config_of(container_config);
  TRYV(image::apply_changes(req.config, changes));
  req.author = author;
  req.history.author = author;
  req.history.created_by = command;
  req.history.comment = comment;
  req.extra["container"] = c->id;
  req.reference = reference;

  runtime::RuntimeContext ctx;
  ctx.root = runtime_root();
  bool paused_here = false;
  if (pause && running) paused_here = runtime::pause_container(ctx, c->id).has_value();
  auto resume = [&] {
    if (paused_here) (void)runtime::resume_container(ctx, c->id);
    paused_here = false;
  };
  req.after_diff = resume;  // the layer is read: the container may run again
  Result<image::ImageInfo> committed;
  {
    std::lock_guard lk(image_mu_);
    committed = images_->commit(req);
  }
  resume();
  auto info = TRY_CTX(std::move(committed), "committing container " + c->id);
  {
    std::lock_guard lk2(mu_);
    publish(*c, "commit", {{"comment", comment}});
  }
  return nlohmann::json{{"Id", info.id}};
}

}  // namespace berth::engine
