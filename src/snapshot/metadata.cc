#include "snapshot/metadata.h"

#include <nlohmann/json.hpp>

#include "base/file.h"

namespace berth::snapshot {
namespace {

Result<Kind> kind_from(const std::string& s) {
  if (s == "active") return Kind::Active;
  if (s == "view") return Kind::View;
  if (s == "committed") return Kind::Committed;
  return fail(Errc::Internal, "unknown snapshot kind \"" + s + "\"");
}

}  // namespace

Result<std::string> Metadata::recorded_driver(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    if (text.error().code == Errc::NotFound) return std::string();
    return std::unexpected(std::move(text).error());
  }
  auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("driver") || !j["driver"].is_string())
    return fail(Errc::Internal, "snapshot metadata " + path + " names no driver");
  return j["driver"].get<std::string>();
}

Result<Metadata> Metadata::open(const std::string& path, const std::string& driver) {
  Metadata md;
  md.path_ = path;
  md.driver_ = driver;
  auto text = read_file(path);
  if (!text) {
    if (text.error().code == Errc::NotFound) return md;
    return std::unexpected(std::move(text).error());
  }
  try {
    auto j = nlohmann::json::parse(*text);
    int version = j.at("version").get<int>();
    if (version > kVersion)
      return fail(Errc::Unsupported, "snapshot metadata " + path + " has version " +
                                         std::to_string(version) + ", this build reads up to " +
                                         std::to_string(kVersion));
    auto recorded = j.at("driver").get<std::string>();
    if (recorded != driver)
      return fail(Errc::Conflict, "snapshot root of " + path + " holds " + recorded +
                                      " snapshots; it cannot be opened as " + driver);
    md.next_id_ = j.at("next_id").get<uint64_t>();
    for (const auto& s : j.at("snapshots")) {
      Info info;
      info.key = s.at("key").get<std::string>();
      info.parent = s.value("parent", "");
      info.kind = TRY(kind_from(s.at("kind").get<std::string>()));
      info.id = s.at("id").get<uint64_t>();
      md.by_key_[info.key] = info;
    }
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::Internal, "parsing snapshot metadata " + path + ": " + e.what());
  }
  return md;
}

Result<Info> Metadata::get(const std::string& key) const {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return fail(Errc::NotFound, "snapshot \"" + key + "\" does not exist");
  return it->second;
}

bool Metadata::has_children(const std::string& key) const {
  for (const auto& [k, info] : by_key_)
    if (info.parent == key) return true;
  return false;
}

Result<void> Metadata::add(const Info& info, bool durable) {
  auto snaps = by_key_;
  snaps[info.key] = info;
  uint64_t next = std::max(next_id_, info.id + 1);
  TRYV(save(snaps, next, durable));
  by_key_ = std::move(snaps);
  next_id_ = next;
  return {};
}

Result<void> Metadata::rename_committed(const std::string& key, const std::string& name) {
  auto snaps = by_key_;
  auto node = snaps.extract(key);
  node.key() = name;
  node.mapped().key = name;
  node.mapped().kind = Kind::Committed;
  snaps.insert(std::move(node));
  TRYV(save(snaps, next_id_));
  by_key_ = std::move(snaps);
  return {};
}

Result<void> Metadata::erase(const std::string& key, bool durable) {
  auto snaps = by_key_;
  snaps.erase(key);
  TRYV(save(snaps, next_id_, durable));
  by_key_ = std::move(snaps);
  return {};
}

Result<void> Metadata::save(const std::map<std::string, Info>& snaps, uint64_t next_id, bool durable) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& [k, info] : snaps) {
    nlohmann::json s = {{"key", info.key}, {"kind", kind_name(info.kind)}, {"id", info.id}};
    if (!info.parent.empty()) s["parent"] = info.parent;
    arr.push_back(std::move(s));
  }
  nlohmann::json j = {{"version", kVersion},
                      {"driver", driver_},
                      {"next_id", next_id},
                      {"snapshots", std::move(arr)}};
  TRYV_CTX(write_file_atomic(path_, j.dump(1), 0600, durable), "saving snapshot metadata");
  return {};
}

}  // namespace berth::snapshot
