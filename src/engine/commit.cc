// docker commit: the container's writable layer becomes a new image, its
// process paused meanwhile (through its task) unless asked not to.
#include "engine/container_service.h"
#include "image/reference.h"

namespace berth::engine {

Result<std::string> ContainerService::commit(const backend::CommitRequest& req) {
  auto c = TRY(find(req.container));
  RootfsCommit commit;
  if (!req.repo.empty()) {
    commit.reference = TRY(image::Reference::parse(req.tag.empty() ? req.repo : req.repo + ":" + req.tag)).str();
  } else if (!req.tag.empty()) {
    return fail(Errc::InvalidArgument, "invalid reference format: a tag needs a repository");
  }
  std::shared_ptr<task::Task> t;
  {
    std::lock_guard lk(mu_);
    commit.parent_image_id = c->image_id;
    commit.config = c->spec.config;
    commit.created_by = c->path;
    for (const auto& a : c->args) commit.created_by += " " + a;
    if (c->state.running && !c->state.paused && req.pause) t = c->task;
  }
  // The request's config wins where it sets a field (dockerd merges it over the container's).
  if (req.config) commit.config = TRY(specgen::merge_config(*req.config, commit.config)).config;
  commit.comment = req.comment;
  commit.author = req.author;
  commit.changes = req.changes;
  bool paused_here = t && t->pause().has_value();
  auto resume = [&] {
    if (paused_here) (void)t->resume();
    paused_here = false;
  };
  commit.after_diff = resume;  // the layer is read: the container may run again
  auto id = deps_.rootfs->commit(c->id, commit);
  resume();
  std::string image_id = TRY(std::move(id));
  std::lock_guard lk(mu_);
  publish(*c, "commit", {{"comment", req.comment}});
  return image_id;
}

}  // namespace berth::engine
