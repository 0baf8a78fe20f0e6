#include "runtime/state.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "base/file.h"

namespace berth::runtime {

const char* status_name(Status s) {
  switch (s) {
    case Status::Creating: return "creating";
    case Status::Created: return "created";
    case Status::Running: return "running";
    case Status::Paused: return "paused";
    case Status::Stopped: return "stopped";
  }
  return "unknown";
}

Result<void> StateStore::check_id(const std::string& id) {
  if (id.empty()) return fail(Errc::InvalidArgument, "container id must not be empty");
  if (id[0] == '.' || id.size() > 1024)
    return fail(Errc::InvalidArgument, "invalid container id '" + id + "'");
  for (char c : id) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '+';
    if (!ok) return fail(Errc::InvalidArgument, "invalid container id '" + id + "': only letters, digits and _ - . + are allowed");
  }
  return {};
}

Result<void> StateStore::reserve(const std::string& id) {
  TRYV(check_id(id));
  if (::mkdir(root_.c_str(), 0711) != 0 && errno != EEXIST) {
    std::error_code ec;
    std::filesystem::create_directories(root_, ec);
    if (ec) return fail(Errc::Internal, "creating state root " + root_ + ": " + ec.message());
  }
  if (::mkdir(dir(id).c_str(), 0711) != 0) {
    if (errno == EEXIST) return fail(Errc::AlreadyExists, "container with id '" + id + "' already exists");
    return fail_errno("creating state directory " + dir(id));
  }
  return {};
}

Result<void> StateStore::save(const ContainerState& state) {
  // Not fsynced: state lives on tmpfs (/run) and a reboot ends containers anyway.
  return write_file_atomic(dir(state.id) + "/state.json", state_to_json(state).dump(), 0600, false);
}

Result<ContainerState> StateStore::load(const std::string& id) const {
  TRYV(check_id(id));
  auto text = read_file(dir(id) + "/state.json");
  if (!text) {
    if (text.error().sys_errno == ENOENT) return fail(Errc::NotFound, "container '" + id + "' does not exist");
    return std::unexpected(text.error());
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(*text);
  } catch (const std::exception& e) {
    return fail(Errc::Internal, "state of container '" + id + "' is corrupt: " + e.what());
  }
  return state_from_json(j);
}

Result<void> StateStore::remove(const std::string& id) {
  std::error_code ec;
  std::filesystem::remove_all(dir(id), ec);
  if (ec) return fail(Errc::Internal, "removing state directory " + dir(id) + ": " + ec.message());
  return {};
}

Result<std::vector<std::string>> StateStore::list() const {
  std::vector<std::string> ids;
  DIR* d = ::opendir(root_.c_str());
  if (!d) {
    if (errno == ENOENT) return ids;
    return fail_errno("listing " + root_);
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st{};
    if (::fstatat(dirfd(d), (name + "/state.json").c_str(), &st, 0) == 0) ids.push_back(name);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

nlohmann::json state_to_json(const ContainerState& s) {
  return nlohmann::json{{"version", 1},
                        {"id", s.id},
                        {"bundle", s.bundle},
                        {"rootfs", s.rootfs},
                        {"pid", s.pid},
                        {"pid_start_time", s.pid_start_time},
                        {"created", s.created},
                        {"ociVersion", s.oci_version},
                        {"annotations", s.annotations},
                        {"cgroup", s.cgroup},
                        {"hooks", spec::hooks_to_json(s.hooks)},
                        {"has_user_ns", s.has_user_ns},
                        {"own_pid_ns", s.own_pid_ns},
                        {"own_mount_ns", s.own_mount_ns},
                        {"host_mounts", s.host_mounts},
                        {"owner", s.owner}};
}

Result<ContainerState> state_from_json(const nlohmann::json& j) {
  try {
    ContainerState s;
    s.id = j.at("id").get<std::string>();
    s.bundle = j.at("bundle").get<std::string>();
    s.rootfs = j.at("rootfs").get<std::string>();
    s.pid = j.at("pid").get<pid_t>();
    s.pid_start_time = j.at("pid_start_time").get<uint64_t>();
    s.created = j.at("created").get<std::string>();
    s.oci_version = j.value("ociVersion", "");
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.cgroup = j.value("cgroup", nlohmann::json());
    s.hooks = TRY(spec::hooks_from_json(j.value("hooks", nlohmann::json::object())));
    s.has_user_ns = j.value("has_user_ns", false);
    s.own_pid_ns = j.value("own_pid_ns", true);
    s.own_mount_ns = j.value("own_mount_ns", true);
    s.host_mounts = j.value("host_mounts", std::vector<std::string>{});
    s.owner = j.value("owner", "root");
    return s;
  } catch (const std::exception& e) {
    return fail(Errc::Internal, std::string("container state is corrupt: ") + e.what());
  }
}

}  // namespace berth::runtime
