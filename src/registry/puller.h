// `docker pull`: an image from a registry into the image service, with
// Docker's progress messages. The manifest (or the index's entry for the
// platform) and the config come first; layers the store has unpacked are
// "Already exists"; the others download in parallel (max_concurrent_downloads,
// dockerd's default 3), each byte hashed as it streams into the content store,
// a dropped transfer resumed with a ranged GET from what was verified; then
// the layers are unpacked in order and the image recorded with its tag and
// repo digest (name@<digest of the manifest or index pulled>). With all_tags,
// every tag the registry lists (GET /v2/NAME/tags/list, all pages), in turn.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/service.h"
#include "registry/client.h"
#include "registry/platform.h"
#include "registry/progress.h"
#include "registry/reporter.h"

namespace berth::registry {

struct PullOptions {
  std::string reference;                  // any Docker form: "busybox", "host:5000/a/b:t", "a@sha256:..."
  bool all_tags = false;                  // reference is a repository: every tag the registry lists (pull -a)
  std::optional<PlatformSpec> platform;   // the host's when not given
  AuthConfig auth;
  EndpointPolicy endpoints;
  int max_concurrent_downloads = 3;
  int max_attempts = 5;                   // per layer, counting resumed ones
  // Held around the image service's lookups and the final record (not the
  // downloads): the daemon's image lock.
  std::mutex* image_lock = nullptr;
};

struct PullResult {
  std::string image_id;         // "sha256:..." (the config's digest)
  std::string digest;           // of the manifest or index pulled
  std::string familiar;         // "busybox:latest", as Docker shows it ("busybox" for all tags)
  bool up_to_date = false;      // nothing new: the reference already named this image (every tag did)
  std::vector<std::string> tags;  // all_tags: the tags pulled, in order (the ID and digest are the last one's)
};

Result<PullResult> pull(Http& http, image::ImageService& images, const PullOptions& options, const ProgressSink& progress);

}  // namespace berth::registry
