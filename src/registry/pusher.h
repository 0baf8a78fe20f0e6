// `docker push`: an image from the image service to a registry, with Docker's
// progress messages. Layers go up to max_concurrent_uploads at a time (dockerd's
// default 5): a layer the repository has is "Layer already exists"; one that
// another repository of the same registry has (the image's other references
// there) is mounted ("Mounted from ..."); the others are uploaded. A layer
// stored uncompressed is gzip-compressed (gzip_layer: on several cores,
// deterministic) while it uploads; its gzip's digest is remembered
// (gzip_digests) so the next push can ask for or mount it first. The config
// follows, then the manifest under the tag; the image gets name@digest as a
// repo digest. With all_tags, every local tag of the repository, in order.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/service.h"
#include "registry/client.h"
#include "registry/puller.h"

namespace berth::registry {

struct PushOptions {
  std::string reference;  // "host:5000/a/b:tag" (latest when no tag); the repository alone with all_tags
  bool all_tags = false;  // every local tag of the repository (docker push -a)
  AuthConfig auth;
  EndpointPolicy endpoints;
  int max_concurrent_uploads = 5;
  unsigned compression_threads = 0;  // per layer compressed; 0: the machine's cores
  std::mutex* image_lock = nullptr;  // held around the image service's lookups and records
};

struct PushResult {
  std::string tag;
  std::string digest;  // of the manifest pushed
  size_t size = 0;     // its bytes
};

// One result per tag pushed, in the order pushed.
Result<std::vector<PushResult>> push(Http& http, image::ImageService& images, const PushOptions& options,
                                     const ProgressSink& progress);

}  // namespace berth::registry
