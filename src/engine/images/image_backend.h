// The image half of berthd: what the /images endpoints (and /system/df's
// image part) do, over image::ImageService, with Docker's semantics and
// texts. Every use of the service holds `mu` (the snapshotter and the DB
// handle are not thread-safe; the engine shares the mutex). Long transfers
// (load, import, save) move bytes without the lock: request bodies are
// spooled to an unlinked temp file first, and saves are written to one and
// streamed from it afterwards, so a slow client never blocks other image work.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"
#include "engine/events.h"
#include "image/service.h"
#include "metadata/image_store.h"

namespace berth::engine {

// IDs of the engine's containers created from `image_id` ("sha256:..."),
// only running (or paused) ones when `running_only`. Never called with the
// image mutex held, so it may take the engine's own locks.
using ContainersUsing =
    std::function<std::vector<std::string>(const std::string& image_id, bool running_only)>;

// Reads the next bytes of a request body; 0 at its end.
using BodyReader = std::function<Result<size_t>(char* buf, size_t len)>;

// Every method takes `mu` itself: callers must not hold it.
class ImageBackend {
 public:
  ImageBackend(image::ImageService& service, std::mutex& mu, Events& events, ContainersUsing containers_using)
      : svc_(service), mu_(mu), events_(events), containers_using_(std::move(containers_using)) {}

  // --- queries
  struct ListOptions {
    bool all = false;     // include intermediate images (untagged parents)
    std::string filters;  // JSON: dangling, label, before, since, reference
  };
  // `GET /images/json`: ImageSummary objects, newest first.
  Result<nlohmann::ordered_json> list(const ListOptions& options);
  // `GET /images/{name}/json`.
  Result<nlohmann::ordered_json> inspect(std::string_view name, int api_minor = 41);
  // `GET /images/{name}/history`: newest first.
  Result<nlohmann::ordered_json> history(std::string_view name);
  // The image named as Docker names it (reference, full ID, ID prefix); NotFound
  // is "No such image: NAME" with NAME in Docker's familiar form.
  Result<image::ImageInfo> find(std::string_view name);
  // The inspect JSON of an image already found (for `POST /commit`'s caller).
  Result<nlohmann::ordered_json> inspect_info(const image::ImageInfo& info, int api_minor = 41);

  // --- changes
  // `docker tag NAME REPO[:TAG]`; an empty tag means "latest".
  Result<void> tag(std::string_view name, std::string_view repo, std::string_view tag);
  // `docker rmi`: Untagged/Deleted items (familiar references, full IDs).
  Result<std::vector<metadata::DeleteItem>> remove(std::string_view name, bool force, bool noprune);
  // `docker image prune`: {"ImagesDeleted": [...]|null, "SpaceReclaimed": N}.
  Result<nlohmann::ordered_json> prune(const std::string& filters);

  // --- transfers
  struct ImportOptions {
    std::string repo;  // "name[:tag]"; empty: untagged
    std::string tag;
    std::string message;
    std::vector<std::string> changes;
  };
  // Checks the options before any body is read (bad reference, bad change).
  Result<void> check_import(const ImportOptions& options);
  // `POST /images/create?fromSrc=-`: the body is a (compressed) rootfs tar.
  // Returns the image ID.
  Result<std::string> import_image(const BodyReader& body, const ImportOptions& options);

  // Called while a body is received: bytes so far, and the total when known.
  using Progress = std::function<void(uint64_t current, int64_t total)>;
  // `POST /images/load`: a docker-archive or OCI-layout tar. Returns the lines
  // dockerd prints ("Loaded image: busybox:latest\n", "Loaded image ID: ...").
  Result<std::vector<std::string>> load(const BodyReader& body, int64_t content_length,
                                        const Progress& progress);
  // `docker save`: a docker-archive tar of the named images in an unlinked
  // temp file, positioned at its start, and its size.
  struct Saved {
    UniqueFd fd;
    uint64_t size = 0;
  };
  Result<Saved> save(const std::vector<std::string>& names);

  // --- /system/df: {"LayersSize": N, "Images": [ImageSummary with Containers
  // and SharedSize computed]}.
  Result<nlohmann::ordered_json> df_images();

 private:
  struct Located {
    std::string id;
    std::string ref;  // normalized reference when named by one, else empty
  };
  // Callers hold mu_.
  Result<Located> locate(std::string_view name);
  Result<nlohmann::ordered_json> graph_driver(const metadata::ImageRecord& record);
  Result<std::map<std::string, std::string>> labels_of(const std::string& image_id);
  Result<UniqueFd> temp_file();
  std::vector<std::string> users_of(const std::string& image_id, bool running_only);
  Result<std::vector<metadata::DeleteItem>> untag_only(const std::string& id, const std::vector<std::string>& refs);
  void publish(const std::string& action, const std::string& id, const std::string& name,
               const std::map<std::string, std::string>& labels = {});
  void publish_removal(const std::vector<metadata::DeleteItem>& items, const std::string& id,
                       const std::map<std::string, std::string>& labels);

  image::ImageService& svc_;
  std::mutex& mu_;
  Events& events_;
  ContainersUsing containers_using_;
};

}  // namespace berth::engine
