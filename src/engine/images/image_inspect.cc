// `GET /images/{name}/json`.
#include "engine/images/image_backend.h"

#include "engine/images/image_json.h"
#include "engine/images/internal.h"

namespace berth::engine {

using images::ojson;

Result<ojson> ImageBackend::inspect_info(const image::ImageInfo& info, int api_minor) {
  std::lock_guard lk(mu_);
  auto record = TRY(svc_.metadata().get(info.id));
  images::InspectExtras extras;
  extras.size = record.size;
  extras.parent = record.parent;
  extras.graph_driver = TRY(graph_driver(record));
  return images::inspect_json(info, extras, api_minor);
}

Result<ojson> ImageBackend::inspect(std::string_view name, int api_minor) {
  auto info = TRY(find(name));
  return inspect_info(info, api_minor);
}

}  // namespace berth::engine
