// berth::cni::Network over real plugin binaries: the config comes from the
// conf dirs (read again when a file there changed), each plugin is run with
// the CNI environment, and every attachment is cached before its ADD starts
// so a DEL after a crash still knows what to undo.
#include <sys/stat.h>
#include <sys/statfs.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "base/log.h"
#include "base/step_timer.h"
#include "cni/attachment_cache.h"
#include "cni/cni.h"
#include "cni/config.h"
#include "cni/plugin_exec.h"
#include "cni/result.h"

namespace berth::cni {

namespace {

using nlohmann::json;

constexpr long kNsfsMagic = 0x6e736673;  // NSFS_MAGIC: a bind-mounted namespace file

// Plugins that check for a shared iptables chain and then create it (Debian's
// portmap 1.1.1 on iptables-nft, where go-iptables does not recognise nft's
// "File exists") fail when two pods' ADDs make it at the same moment. The
// chain exists afterwards, so running that plugin's ADD once more succeeds;
// upstream fixed it later (containernetworking/plugins#408 and after).
bool lost_race_for_shared_chain(const Error& e) {
  const std::string& m = e.message;
  return m.find("CHAIN_USER_ADD failed (File exists)") != std::string::npos ||
         m.find("Chain already exists") != std::string::npos;
}

bool is_netns_file(const std::string& path) {
  struct statfs fs{};
  return !path.empty() && ::statfs(path.c_str(), &fs) == 0 && fs.f_type == kNsfsMagic;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string cni_args(const std::vector<std::pair<std::string, std::string>>& args) {
  std::string out;
  for (const auto& [k, v] : args) out += (out.empty() ? "" : ";") + k + "=" + v;
  return out;
}

// The arguments an ADD or DEL runs with (from the request, or from the cache on DEL).
struct Invocation {
  std::string container_id, netns, ifname;
  std::vector<std::pair<std::string, std::string>> args;
  std::vector<PortMapping> port_mappings;
  std::string cgroup_path;
};

// Serialises ADD/DEL of one attachment (their cache file); others run in parallel.
class KeyedLocks {
 public:
  class Guard {
   public:
    Guard(KeyedLocks& locks, std::string key) : locks_(locks), key_(std::move(key)) {
      std::unique_lock lock(locks_.mu_);
      locks_.cv_.wait(lock, [&] { return !locks_.held_.contains(key_); });
      locks_.held_.insert(key_);
    }
    ~Guard() {
      std::lock_guard lock(locks_.mu_);
      locks_.held_.erase(key_);
      locks_.cv_.notify_all();
    }

   private:
    KeyedLocks& locks_;
    std::string key_;
  };

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> held_;
};

class PluginNetwork final : public Network {
 public:
  explicit PluginNetwork(NetworkOptions options) : options_(std::move(options)), cache_(options_.cache_dir) {}

  Result<AttachResult> attach(const AttachRequest& request) override;
  Result<void> detach(const AttachRequest& request) override;
  Result<void> ready() const override;
  Result<std::vector<CachedAttachmentInfo>> attachments() const override {
    std::vector<CachedAttachmentInfo> out;
    for (auto& e : TRY(cache_.list()))
      out.push_back({e.container_id, e.ifname, e.netns_path,
                     e.config.is_object() && e.config.contains("name") && e.config["name"].is_string()
                         ? e.config["name"].get<std::string>()
                         : ""});
    return out;
  }
  std::string network_name() const override {
    auto list = current_list();
    return list ? list->name : "";
  }

 private:
  // The conf dirs' first valid list, parsed again only when a file changed.
  Result<NetworkList> current_list() const;
  Result<std::vector<std::string>> plugin_binaries(const NetworkList& list) const;
  json plugin_stdin(const NetworkList& list, const json& plugin, const json& prev_result,
                    const Invocation& inv) const;
  Result<json> run(const std::string& command, const NetworkList& list, size_t index, const std::string& binary,
                   const json& prev_result, const Invocation& inv) const;
  // DEL through the list in reverse.
  Result<void> delete_all(const NetworkList& list, const json& prev_result, const Invocation& inv) const;
  Result<std::vector<std::string>> supported_versions(const std::string& binary, const std::string& type) const;

  NetworkOptions options_;
  AttachmentCache cache_;
  mutable KeyedLocks attachment_locks_;

  mutable std::mutex mu_;  // guards the two caches below
  mutable std::string conf_signature_;
  mutable std::optional<Result<NetworkList>> conf_;
  mutable std::map<std::string, std::pair<long long, std::vector<std::string>>> versions_;  // binary -> (mtime, versions)
};

Result<NetworkList> PluginNetwork::current_list() const {
  auto files = list_conf_files(options_.conf_dirs);
  std::string signature;
  for (const auto& f : files)
    signature += f.path + '\0' + std::to_string(f.mtime_ns) + '\0' + std::to_string(f.size) + '\n';
  std::lock_guard lock(mu_);
  if (conf_ && signature == conf_signature_) return *conf_;
  auto scan = scan_conf_files(files);
  if (!scan.found.empty()) {
    conf_ = std::move(scan.found.front());
  } else {
    std::string why = "cni config uninitialized: no valid CNI network config in " + join(options_.conf_dirs, ", ");
    if (!scan.skipped.empty()) why += " (skipped " + join(scan.skipped, "; ") + ")";
    conf_ = fail(Errc::Unavailable, why);
  }
  conf_signature_ = signature;
  return *conf_;
}

Result<std::vector<std::string>> PluginNetwork::plugin_binaries(const NetworkList& list) const {
  std::vector<std::string> out;
  for (const auto& plugin : list.plugins)
    out.push_back(TRY_CTX(find_plugin(plugin["type"].get<std::string>(), options_.bin_dirs),
                          "network \"" + list.name + "\""));
  return out;
}

json PluginNetwork::plugin_stdin(const NetworkList& list, const json& plugin, const json& prev_result,
                                 const Invocation& inv) const {
  json conf = plugin;
  conf["name"] = list.name;
  conf["cniVersion"] = list.cni_version;
  if (!prev_result.is_null()) conf["prevResult"] = prev_result;
  // Capability arguments reach only the plugins whose "capabilities" ask for them.
  json runtime = json::object();
  auto caps = plugin.value("capabilities", json::object());
  auto wants = [&](const char* cap) { return caps.contains(cap) && caps[cap].is_boolean() && caps[cap].get<bool>(); };
  if (wants("portMappings") && !inv.port_mappings.empty())
    runtime["portMappings"] = port_mappings_json(inv.port_mappings);
  if (wants("cgroupPath") && !inv.cgroup_path.empty()) runtime["cgroupPath"] = inv.cgroup_path;
  if (!runtime.empty()) conf["runtimeConfig"] = runtime;
  return conf;
}

Result<json> PluginNetwork::run(const std::string& command, const NetworkList& list, size_t index,
                                const std::string& binary, const json& prev_result, const Invocation& inv) const {
  const json& plugin = list.plugins[index];
  PluginCall call;
  call.command = command;
  call.container_id = inv.container_id;
  call.netns = inv.netns;
  call.ifname = inv.ifname;
  call.args = cni_args(inv.args);
  call.path = join(options_.bin_dirs, ":");
  call.config = plugin_stdin(list, plugin, prev_result, inv);
  return exec_plugin(binary, plugin["type"].get<std::string>(), call, options_.plugin_timeout);
}

Result<void> PluginNetwork::delete_all(const NetworkList& list, const json& prev_result, const Invocation& inv) const {
  StepTimer steps;
  auto binaries = TRY(plugin_binaries(list));
  // A cached result goes to DEL as prevResult from 0.4.0 on (older plugins do not expect it).
  json prev = version_at_least(list.cni_version, "0.4.0") ? prev_result : json();
  for (size_t i = list.plugins.size(); i-- > 0;) {
    TRYV_CTX(run("DEL", list, i, binaries[i], prev, inv),
             "network \"" + list.name + "\", container " + inv.container_id);
    steps.lap(list.plugins[i]["type"].get<std::string>());
  }
  log::debug("CNI DEL {}: {}", inv.container_id, steps.str());
  return {};
}

Result<AttachResult> PluginNetwork::attach(const AttachRequest& request) {
  TRYV(validate_container_id(request.container_id));
  TRYV(validate_ifname(request.ifname));
  StepTimer steps;
  if (!is_netns_file(request.netns_path))
    return fail(Errc::InvalidArgument, "network namespace \"" + request.netns_path +
                                           "\" is not a namespace file (a bind-mounted /proc/PID/ns/net)");
  auto list = TRY(current_list());
  auto binaries = TRY(plugin_binaries(list));
  KeyedLocks::Guard guard(attachment_locks_, request.container_id + "/" + request.ifname);
  steps.lap("config");

  Invocation inv{request.container_id, request.netns_path, request.ifname, request.args, request.port_mappings,
                 request.cgroup_path};
  // Recorded before the first plugin runs: a crash in the middle leaves enough for DEL.
  CachedAttachment entry{request.container_id, request.ifname, request.netns_path, list.raw, request.args,
                         request.port_mappings, request.cgroup_path, json()};
  TRYV(cache_.store(entry));
  steps.lap("cache");

  json result;
  Result<void> added;  // holds the first error
  for (size_t i = 0; i < list.plugins.size() && added; ++i) {
    auto out = run("ADD", list, i, binaries[i], result, inv);
    if (!out && lost_race_for_shared_chain(out.error())) out = run("ADD", list, i, binaries[i], result, inv);
    std::string what = "plugin \"" + list.plugins[i]["type"].get<std::string>() + "\" (ADD)";
    if (!out)
      added = std::unexpected(std::move(out.error()));
    else if (out->is_null())
      added = fail(Errc::Internal, what + " printed no result");
    else
      result = std::move(*out);
    steps.lap(list.plugins[i]["type"].get<std::string>());
  }
  Result<json> v1 = added ? result_to_v1(result) : Result<json>(json());
  if (added && !v1)
    added = std::unexpected(std::move(v1.error()).wrap("the result of the last plugin, " +
                                                        list.plugins.back()["type"].get<std::string>()));
  if (!added) {
    // Undo what the plugins before the failing one did (IPAM lease, veth, rules).
    Error error = std::move(added.error()).wrap("network \"" + list.name + "\", container " + request.container_id);
    if (auto undone = delete_all(list, json(), inv); !undone)
      error.message += "; cleaning up after it also failed: " + undone.error().str();
    else
      (void)cache_.remove(request.container_id, request.ifname);
    return std::unexpected(std::move(error));
  }
  entry.result = result;
  TRYV(cache_.store(entry));
  steps.lap("cache");
  log::debug("CNI ADD {}: {}", request.container_id, steps.str());
  return attach_result_from_v1(std::move(*v1));
}

Result<void> PluginNetwork::detach(const AttachRequest& request) {
  TRYV(validate_container_id(request.container_id));
  TRYV(validate_ifname(request.ifname));
  KeyedLocks::Guard guard(attachment_locks_, request.container_id + "/" + request.ifname);
  StepTimer steps;
  auto cached = TRY(cache_.load(request.container_id, request.ifname));
  if (!cached) {
    // The record is written before an ADD runs its first plugin and removed only
    // after a DEL went through, so without one nothing is set up: never added, or
    // already deleted. Nothing to run (and repeated StopPodSandbox calls stay cheap).
    return {};
  }

  // A netns that is gone still gets its DEL (CNI_NETNS empty): leases and rules are on the host.
  // Otherwise what the ADD ran with, as libcni does: its config and its arguments.
  std::string netns = is_netns_file(request.netns_path) ? request.netns_path
                      : is_netns_file(cached->netns_path) ? cached->netns_path
                                                          : "";
  Invocation inv{request.container_id, netns, request.ifname, cached->args, cached->port_mappings, cached->cgroup_path};
  auto list = TRY_CTX(parse_network_list(cached->config, cache_.path_of(request.container_id, request.ifname)),
                      "the cached CNI config");
  steps.lap("cache_load");
  TRYV(delete_all(list, cached->result, inv));
  steps.lap("plugins");
  auto removed = cache_.remove(request.container_id, request.ifname);
  steps.lap("cache_remove");
  log::debug("CNI detach {}: {}", request.container_id, steps.str());
  return removed;
}

Result<std::vector<std::string>> PluginNetwork::supported_versions(const std::string& binary,
                                                                   const std::string& type) const {
  struct stat st{};
  long long mtime = ::stat(binary.c_str(), &st) == 0 ? st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec : 0;
  {
    std::lock_guard lock(mu_);
    if (auto it = versions_.find(binary); it != versions_.end() && it->second.first == mtime) return it->second.second;
  }
  PluginCall call;
  call.command = "VERSION";
  call.path = join(options_.bin_dirs, ":");
  call.config = {{"cniVersion", "1.0.0"}};
  auto out = TRY(exec_plugin(binary, type, call, options_.plugin_timeout));
  std::vector<std::string> versions;
  if (out.is_object() && out.contains("supportedVersions") && out["supportedVersions"].is_array()) {
    for (const auto& v : out["supportedVersions"])
      if (v.is_string()) versions.push_back(v.get<std::string>());
  } else {
    versions = {"0.1.0"};  // the spec's answer for a plugin that predates VERSION
  }
  std::lock_guard lock(mu_);
  versions_[binary] = {mtime, versions};
  return versions;
}

Result<void> PluginNetwork::ready() const {
  auto list = TRY(current_list());
  auto binaries = TRY_CTX(plugin_binaries(list), "cni plugin not initialized");
  for (size_t i = 0; i < binaries.size(); ++i) {
    std::string type = list.plugins[i]["type"].get<std::string>();
    auto versions = TRY_CTX(supported_versions(binaries[i], type), "network \"" + list.name + "\"");
    if (std::find(versions.begin(), versions.end(), list.cni_version) == versions.end())
      return fail(Errc::Unavailable, "network \"" + list.name + "\" (" + list.source + ") asks for cniVersion " +
                                         list.cni_version + ", which plugin " + binaries[i] + " does not support (it supports " +
                                         join(versions, ", ") + ")");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Network>> Network::open(NetworkOptions options) {
  if (options.bin_dirs.empty()) return fail(Errc::InvalidArgument, "no CNI bin dir given");
  if (options.conf_dirs.empty()) return fail(Errc::InvalidArgument, "no CNI conf dir given");
  if (options.cache_dir.empty()) return fail(Errc::InvalidArgument, "no CNI cache dir given");
  return std::unique_ptr<Network>(std::make_unique<PluginNetwork>(std::move(options)));
}

}  // namespace berth::cni
