// Fakes of the engine's image and distribution areas for the CRI ImageService:
// images are inspect documents by name (tags and ids both resolve).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/distribution.h"
#include "backend/images.h"

namespace berth::cri::testing {

class FakeImages : public backend::ImageBackend {
 public:
  // name (tag or id) -> inspect document
  std::map<std::string, nlohmann::ordered_json> by_name;
  std::vector<std::string> removed;  // "name force"

  void add(const std::string& id, const std::vector<std::string>& tags, const std::string& user = "",
           uint64_t size = 1000) {
    nlohmann::ordered_json j = {{"Id", id}, {"RepoTags", tags}, {"RepoDigests", nlohmann::json::array()},
                                {"Size", size}, {"Config", {{"User", user}, {"Env", {"PATH=/bin"}}}}};
    by_name[id] = j;
    for (auto& t : tags) by_name[t] = j;
  }

  Result<nlohmann::ordered_json> image_list(const backend::ImageListOptions&) override {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    std::map<std::string, bool> seen;
    for (auto& [name, j] : by_name)
      if (!seen[j["Id"]]) {
        seen[j["Id"]] = true;
        out.push_back({{"Id", j["Id"]}, {"RepoTags", j["RepoTags"]}, {"Size", j["Size"]}});
      }
    return out;
  }
  Result<nlohmann::ordered_json> image_inspect(std::string_view name, int) override {
    auto it = by_name.find(std::string(name));
    if (it == by_name.end()) return fail(Errc::NotFound, "No such image: " + std::string(name));
    return it->second;
  }
  Result<std::vector<backend::ImageDeleteItem>> image_remove(std::string_view name, bool force, bool) override {
    removed.push_back(std::string(name) + (force ? " force" : ""));
    if (conflict) return fail(Errc::Conflict, "image is being used by running container abc");
    std::string id = TRY(image_inspect(name, 0))["Id"];
    std::erase_if(by_name, [&](auto& kv) { return kv.second["Id"] == id; });
    return std::vector<backend::ImageDeleteItem>{{false, id}};
  }
  bool conflict = false;

  Result<nlohmann::ordered_json> image_history(std::string_view) override { return unused(); }
  Result<void> image_tag(std::string_view, std::string_view, std::string_view) override { return unused(); }
  Result<nlohmann::ordered_json> image_prune(const std::string&) override { return unused(); }
  Result<void> check_import(const backend::ImageImportOptions&) override { return unused(); }
  Result<std::string> image_import(const backend::BodyReader&, const backend::ImageImportOptions&) override {
    return unused();
  }
  Result<std::vector<std::string>> image_load(const backend::BodyReader&, int64_t,
                                              const backend::TransferProgress&) override {
    return unused();
  }
  Result<backend::SavedImages> image_save(const std::vector<std::string>&) override { return unused(); }
  Result<nlohmann::ordered_json> image_df() override { return unused(); }

 private:
  static std::unexpected<Error> unused() { return fail(Errc::Internal, "not used by the CRI image service"); }
};

// A pull that "fetches" by adding the image, or fails as told: before any
// message (a returned error) or after (an error line in the stream, as dockerd's).
class FakeDistribution : public backend::DistributionBackend {
 public:
  FakeImages* images = nullptr;
  std::vector<backend::PullRequest> pulls;
  std::string image_id = "sha256:" + std::string(64, 'a');
  std::optional<Error> fail_before;
  std::string fail_in_stream;

  Result<void> pull(const backend::PullRequest& r, const Progress& progress) override {
    pulls.push_back(r);
    if (fail_before) return std::unexpected(*fail_before);
    progress(R"({"status":"Pulling from test/busybox","id":"v1"})");
    if (!fail_in_stream.empty()) {
      progress(nlohmann::json({{"errorDetail", {{"message", fail_in_stream}}}, {"error", fail_in_stream}}).dump());
      return {};
    }
    if (images) images->add(image_id, {r.reference});
    return {};
  }
  Result<void> push(const std::string&, const backend::RegistryAuth&, const Progress&) override {
    return fail(Errc::Internal, "unused");
  }
  Result<backend::LoginResult> login(const backend::RegistryAuth&) override { return fail(Errc::Internal, "unused"); }
  Result<std::string> search(const std::string&, int) override { return fail(Errc::Internal, "unused"); }
};

}  // namespace berth::cri::testing
