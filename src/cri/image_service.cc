#include "cri/image_service.h"

#include <chrono>
#include <cctype>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/heap_trim.h"
#include "cri/image_fs.h"
#include "cri/status.h"

namespace berth::cri {

namespace {

// The Docker API version whose inspect document the mapping reads.
constexpr int kInspectApiMinor = 44;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> strings_of(const nlohmann::ordered_json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// An image that is not there is an answer, not an error (ImageStatus, RemoveImage).
Result<std::optional<nlohmann::ordered_json>> inspect_if_present(backend::ImageBackend& images,
                                                                  const std::string& ref) {
  auto j = images.image_inspect(ref, kInspectApiMinor);
  if (j) return std::optional<nlohmann::ordered_json>(std::move(*j));
  if (j.error().code == Errc::NotFound) return std::optional<nlohmann::ordered_json>();
  return std::unexpected(j.error());
}

// The last error a pull streamed after its first message, as dockerd's JSON lines carry it.
struct PullErrors {
  std::string last;
  bool operator()(const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string()) last = j["error"].get<std::string>();
    return true;
  }
};

}  // namespace

std::string registry_auth_header(const rt::AuthConfig& auth) {
  if (auth.username().empty() && auth.password().empty() && auth.auth().empty() && auth.identity_token().empty() &&
      auth.registry_token().empty())
    return "";
  nlohmann::json j = {{"username", auth.username()},
                      {"password", auth.password()},
                      {"auth", auth.auth()},
                      {"serveraddress", auth.server_address()},
                      {"identitytoken", auth.identity_token()},
                      {"registrytoken", auth.registry_token()}};
  return base64::encode_url(j.dump());
}

rt::Image image_from_inspect(const nlohmann::ordered_json& inspect) {
  rt::Image img;
  std::string id = inspect.value("Id", "");
  img.set_id(id);
  for (auto& t : strings_of(inspect, "RepoTags")) img.add_repo_tags(t);
  for (auto& d : strings_of(inspect, "RepoDigests")) img.add_repo_digests(d);
  if (auto s = inspect.find("Size"); s != inspect.end() && s->is_number_unsigned()) img.set_size(s->get<uint64_t>());
  else if (s != inspect.end() && s->is_number_integer()) img.set_size(static_cast<uint64_t>(std::max<int64_t>(0, s->get<int64_t>())));
  img.mutable_spec()->set_image(id);
  // The config's user: "uid[:gid]" gives uid, a name gives username (the kubelet's runAsNonRoot check).
  std::string user;
  if (auto c = inspect.find("Config"); c != inspect.end() && c->is_object()) user = c->value("User", "");
  std::string name = user.substr(0, user.find(':'));
  if (all_digits(name)) img.mutable_uid()->set_value(std::stoll(name));
  else if (!name.empty()) img.set_username(name);
  return img;
}

ImageServiceImpl::ImageServiceImpl(backend::ImageBackend& images, backend::DistributionBackend& distribution,
                                   std::vector<std::string> store_dirs)
    : images_(images), distribution_(distribution), store_dirs_(std::move(store_dirs)) {}

grpc::Status ImageServiceImpl::ListImages(grpc::ServerContext*, const rt::ListImagesRequest* req,
                                          rt::ListImagesResponse* resp) {
  const std::string& wanted = req->filter().image().image();
  if (!wanted.empty()) {
    auto one = inspect_if_present(images_, wanted);
    if (!one) return to_status(one.error(), "ListImages");
    if (*one) *resp->add_images() = image_from_inspect(**one);
    return grpc::Status::OK;
  }
  auto list = images_.image_list({});
  if (!list) return to_status(list.error(), "ListImages");
  for (const auto& summary : *list) {
    std::string id = summary.value("Id", "");
    // The summary lacks the config's user: the inspect document has it.
    auto full = inspect_if_present(images_, id);
    if (!full) return to_status(full.error(), "ListImages");
    if (*full) *resp->add_images() = image_from_inspect(**full);  // else removed meanwhile
  }
  return grpc::Status::OK;
}

grpc::Status ImageServiceImpl::ImageStatus(grpc::ServerContext*, const rt::ImageStatusRequest* req,
                                           rt::ImageStatusResponse* resp) {
  const std::string& ref = req->image().image();
  if (ref.empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "ImageStatus: no image was given");
  auto found = inspect_if_present(images_, ref);
  if (!found) return to_status(found.error(), "ImageStatus");
  if (!*found) return grpc::Status::OK;  // absent: a response without an image
  *resp->mutable_image() = image_from_inspect(**found);
  if (req->verbose()) {
    nlohmann::ordered_json info = {{"id", (*found)->value("Id", "")}};
    for (const char* key : {"Config", "RootFS", "Architecture", "Os", "Created"})
      if (auto it = (*found)->find(key); it != (*found)->end()) info[key] = *it;
    (*resp->mutable_info())["info"] = info.dump();
  }
  return grpc::Status::OK;
}

grpc::Status ImageServiceImpl::PullImage(grpc::ServerContext*, const rt::PullImageRequest* req,
                                         rt::PullImageResponse* resp) {
  HeapTrimmer::Busy busy(/*big=*/true);  // layers and manifests went through the heap
  std::string ref = req->image().image();
  if (ref.empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "PullImage: no image was given");
  // The CRI pulls one image: a name alone is its "latest" tag (the Docker API would pull every tag).
  auto slash = ref.rfind('/');
  std::string last = slash == std::string::npos ? ref : ref.substr(slash + 1);
  if (last.find(':') == std::string::npos && ref.find('@') == std::string::npos) ref += ":latest";
  backend::PullRequest pull;
  pull.reference = ref;
  pull.auth.header = registry_auth_header(req->auth());
  PullErrors errors;
  if (auto r = distribution_.pull(pull, std::ref(errors)); !r) return to_status(r.error(), "PullImage " + ref);
  if (!errors.last.empty())
    return grpc::Status(grpc::StatusCode::UNKNOWN, "PullImage " + ref + ": " + errors.last);
  auto pulled = images_.image_inspect(ref, kInspectApiMinor);
  if (!pulled) return to_status(pulled.error(), "PullImage " + ref + ": the pulled image");
  resp->set_image_ref(pulled->value("Id", ""));
  return grpc::Status::OK;
}

grpc::Status ImageServiceImpl::RemoveImage(grpc::ServerContext*, const rt::RemoveImageRequest* req,
                                           rt::RemoveImageResponse*) {
  HeapTrimmer::Busy busy;
  const std::string& ref = req->image().image();
  if (ref.empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "RemoveImage: no image was given");
  auto found = inspect_if_present(images_, ref);
  if (!found) return to_status(found.error(), "RemoveImage");
  if (!*found) return grpc::Status::OK;  // already gone
  // By id with force: every tag goes, as the CRI asks (a tag alone would only be untagged).
  std::string id = (*found)->value("Id", "");
  auto r = images_.image_remove(id, /*force=*/true, /*noprune=*/false);
  if (!r && r.error().code != Errc::NotFound) return to_status(r.error(), "RemoveImage " + ref);
  return grpc::Status::OK;
}

grpc::Status ImageServiceImpl::ImageFsInfo(grpc::ServerContext*, const rt::ImageFsInfoRequest*,
                                           rt::ImageFsInfoResponse* resp) {
  auto usage = measure_fs_usage(store_dirs_);
  if (!usage) return to_status(usage.error(), "ImageFsInfo");
  auto* fs = resp->add_image_filesystems();
  fs->set_timestamp(now_ns());
  fs->mutable_fs_id()->set_mountpoint(usage->mountpoint);
  fs->mutable_used_bytes()->set_value(usage->used_bytes);
  fs->mutable_inodes_used()->set_value(usage->inodes_used);
  return grpc::Status::OK;
}

}  // namespace berth::cri
