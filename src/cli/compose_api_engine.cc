#include "cli/compose_api_engine.h"

#include <chrono>

#include <fmt/format.h>

#include "cli/build_context.h"
#include "cli/build_progress.h"
#include "cli/json_lines.h"
#include "cli/pull.h"
#include "cli/stream.h"
#include "compose/labels.h"

namespace berth::cli {

using compose_ops::ContainerInfo;
using Doc = compose_ops::Json;  // cli::Json keeps key order; the seam's is plain json

namespace {

compose_ops::StringMap string_map(const Doc& j) {
  compose_ops::StringMap m;
  if (j.is_object())
    for (const auto& [k, v] : j.items())
      if (v.is_string()) m[k] = v.get<std::string>();
  return m;
}

std::string str(const Doc& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string project_filter(const std::string& project) {
  return Doc{{"label", Doc::array({std::string(compose::label::kProject) + "=" + project})}}.dump();
}

ComposeApiEngine::~ComposeApiEngine() = default;

Result<std::unique_ptr<api::Client>> ComposeApiEngine::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    if (address_.empty()) {
      // The CLI's own client finds (or starts) the daemon once; the pool dials the same address.
      api::Client* first = TRY(cli_.client());
      address_ = first->address();
    }
  }
  api::Endpoint ep = TRY(api::Endpoint::parse(address_));
  return api::Client::create(ep);
}

void ComposeApiEngine::release(std::unique_ptr<api::Client> client) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(client));
}

Result<api::Response> ComposeApiEngine::raw(std::string_view method, const std::string& path, std::string_view body) {
  auto client = TRY(acquire());
  auto r = client->request(method, path, body);
  if (r) release(std::move(client));  // a failed connection is not reused
  return r;
}

Result<api::Response> ComposeApiEngine::call(std::string_view method, const std::string& path, std::string_view body) {
  return check(TRY(raw(method, path, body)));
}

Result<std::vector<ContainerInfo>> ComposeApiEngine::list_containers(const std::string& project) {
  api::Response r = TRY(call("GET", "/containers/json?all=1&filters=" + url_encode(project_filter(project))));
  Doc rows = TRY(r.json());
  std::vector<ContainerInfo> out;
  for (const auto& row : rows) {
    ContainerInfo c;
    c.id = str(row, "Id");
    if (row.contains("Names") && row["Names"].is_array() && !row["Names"].empty()) {
      c.name = row["Names"][0].get<std::string>();
      if (c.name.starts_with("/")) c.name.erase(0, 1);
    }
    c.image = str(row, "Image");
    c.image_id = str(row, "ImageID");
    c.state = str(row, "State");
    c.status = str(row, "Status");
    c.command = str(row, "Command");
    c.created = row.value("Created", int64_t{0});
    c.labels = string_map(row.value("Labels", Doc::object()));
    if (row.contains("Ports") && row["Ports"].is_array()) c.ports = row["Ports"];
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::string> ComposeApiEngine::create_container(const std::string& name, const Doc& body) {
  api::Response r = TRY(call("POST", "/containers/create?name=" + url_encode(name), body.dump()));
  Doc j = TRY(r.json());
  std::string id = str(j, "Id");
  if (id.empty()) return fail(Errc::Internal, "the daemon's create answer has no Id");
  return id;
}

Result<void> ComposeApiEngine::connect_network(const std::string& network, const std::string& container,
                                               const Doc& endpoint) {
  Doc body{{"Container", container}, {"EndpointConfig", endpoint}};
  TRY(call("POST", "/networks/" + url_encode(network) + "/connect", body.dump()));
  return {};
}

Result<void> ComposeApiEngine::start_container(const std::string& id) {
  TRY(call("POST", "/containers/" + url_encode(id) + "/start"));
  return {};
}

Result<void> ComposeApiEngine::stop_container(const std::string& id, std::optional<int> timeout_s) {
  std::string q = "/containers/" + url_encode(id) + "/stop";
  if (timeout_s) q += fmt::format("?t={}", *timeout_s);
  TRY(call("POST", q));
  return {};
}

Result<void> ComposeApiEngine::restart_container(const std::string& id, std::optional<int> timeout_s) {
  std::string q = "/containers/" + url_encode(id) + "/restart";
  if (timeout_s) q += fmt::format("?t={}", *timeout_s);
  TRY(call("POST", q));
  return {};
}

Result<void> ComposeApiEngine::kill_container(const std::string& id, const std::string& signal) {
  TRY(call("POST", "/containers/" + url_encode(id) + "/kill?signal=" + url_encode(signal)));
  return {};
}

Result<void> ComposeApiEngine::pause_container(const std::string& id) {
  TRY(call("POST", "/containers/" + url_encode(id) + "/pause"));
  return {};
}

Result<void> ComposeApiEngine::unpause_container(const std::string& id) {
  TRY(call("POST", "/containers/" + url_encode(id) + "/unpause"));
  return {};
}

Result<void> ComposeApiEngine::remove_container(const std::string& id, bool force, bool volumes) {
  TRY(call("DELETE", fmt::format("/containers/{}?force={}&v={}", url_encode(id), force ? 1 : 0, volumes ? 1 : 0)));
  return {};
}

Result<compose_ops::ContainerState> ComposeApiEngine::inspect_state(const std::string& id) {
  api::Response r = TRY(call("GET", "/containers/" + url_encode(id) + "/json"));
  Doc j = TRY(r.json());
  compose_ops::ContainerState s;
  const Doc& state = j.value("State", Doc::object());
  s.status = str(state, "Status");
  s.exit_code = state.value("ExitCode", 0);
  if (state.contains("Health") && state["Health"].is_object()) s.health = str(state["Health"], "Status");
  return s;
}

Result<std::optional<compose_ops::NetworkInfo>> ComposeApiEngine::find_network(const std::string& name) {
  api::Response r = TRY(raw("GET", "/networks/" + url_encode(name)));
  if (r.status == 404) return std::optional<compose_ops::NetworkInfo>();
  Doc j = TRY(TRY(check(std::move(r))).json());
  return std::optional<compose_ops::NetworkInfo>(
      compose_ops::NetworkInfo{str(j, "Id"), str(j, "Name"), string_map(j.value("Labels", Doc::object()))});
}

Result<std::vector<compose_ops::NetworkInfo>> ComposeApiEngine::list_networks(const std::string& project) {
  api::Response r = TRY(call("GET", "/networks?filters=" + url_encode(project_filter(project))));
  std::vector<compose_ops::NetworkInfo> out;
  for (const auto& n : TRY(r.json()))
    out.push_back({str(n, "Id"), str(n, "Name"), string_map(n.value("Labels", Doc::object()))});
  return out;
}

Result<void> ComposeApiEngine::create_network(const Doc& body) {
  TRY(call("POST", "/networks/create", body.dump()));
  return {};
}

Result<void> ComposeApiEngine::remove_network(const std::string& name) {
  TRY(call("DELETE", "/networks/" + url_encode(name)));
  return {};
}

Result<std::optional<compose_ops::VolumeInfo>> ComposeApiEngine::find_volume(const std::string& name) {
  api::Response r = TRY(raw("GET", "/volumes/" + url_encode(name)));
  if (r.status == 404) return std::optional<compose_ops::VolumeInfo>();
  Doc j = TRY(TRY(check(std::move(r))).json());
  return std::optional<compose_ops::VolumeInfo>(
      compose_ops::VolumeInfo{str(j, "Name"), string_map(j.value("Labels", Doc::object()))});
}

Result<std::vector<compose_ops::VolumeInfo>> ComposeApiEngine::list_volumes(const std::string& project) {
  api::Response r = TRY(call("GET", "/volumes?filters=" + url_encode(project_filter(project))));
  Doc j = TRY(r.json());
  std::vector<compose_ops::VolumeInfo> out;
  if (j.contains("Volumes") && j["Volumes"].is_array())
    for (const auto& v : j["Volumes"]) out.push_back({str(v, "Name"), string_map(v.value("Labels", Doc::object()))});
  return out;
}

Result<void> ComposeApiEngine::create_volume(const Doc& body) {
  TRY(call("POST", "/volumes/create", body.dump()));
  return {};
}

Result<void> ComposeApiEngine::remove_volume(const std::string& name) {
  TRY(call("DELETE", "/volumes/" + url_encode(name)));
  return {};
}

Result<std::optional<std::string>> ComposeApiEngine::image_id(const std::string& reference) {
  api::Response r = TRY(raw("GET", "/images/" + url_encode(reference) + "/json"));
  if (r.status == 404) return std::optional<std::string>();
  Doc j = TRY(TRY(check(std::move(r))).json());
  return std::optional<std::string>(str(j, "Id"));
}

Result<void> ComposeApiEngine::remove_image(const std::string& reference) {
  TRY(call("DELETE", "/images/" + url_encode(reference)));
  return {};
}

Result<void> ComposeApiEngine::build_image(const compose_ops::BuildRequest& request) {
  std::lock_guard lock(progress_mu_);
  const compose::BuildConfig& b = request.build;
  if (b.context.find("://") != std::string::npos || b.context.starts_with("git@"))
    return fail(Errc::Unsupported, fmt::format("service \"{}\": build contexts from URLs are not supported by berth yet",
                                               request.service));
  if (!b.dockerfile_inline.empty())
    return fail(Errc::Unsupported, fmt::format("service \"{}\": dockerfile_inline is not supported by berth yet", request.service));
  std::string dockerfile = b.dockerfile.empty() ? "Dockerfile" : b.dockerfile;
  if (!dockerfile.starts_with("/")) dockerfile = b.context + "/" + dockerfile;
  auto tar = TRY(tar_context(b.context, dockerfile, false));
  std::string q = "/build?rm=1&berth-native=1&t=" + url_encode(request.tag) + "&dockerfile=" + url_encode(tar.dockerfile);
  for (const auto& t : b.tags) q += "&t=" + url_encode(t);
  if (!b.target.empty()) q += "&target=" + url_encode(b.target);
  if (!b.network.empty()) q += "&networkmode=" + url_encode(b.network);
  if (b.no_cache.value_or(false)) q += "&nocache=1";
  if (b.pull.value_or(false)) q += "&pull=1";
  if (b.shm_size) q += fmt::format("&shmsize={}", *b.shm_size);
  if (!b.args.empty()) {
    Doc args = Doc::object();
    for (const auto& [k, v] : b.args) args[k] = v ? Doc(*v) : Doc(nullptr);
    q += "&buildargs=" + url_encode(args.dump());
  }
  if (!b.labels.empty()) q += "&labels=" + url_encode(Doc(b.labels).dump());
  if (!b.extra_hosts.empty()) {
    std::string hosts;
    for (const auto& h : b.extra_hosts) hosts += (hosts.empty() ? "" : ",") + h.host + ":" + h.ip;
    q += "&extrahosts=" + url_encode(hosts);
  }
  api::Client* c = TRY(cli_.client());
  BuildProgress progress(2, is_terminal(2), quiet_);
  auto r = TRY(c->upload_stream("POST", q, tar.fd.get(), "application/x-tar", [&](std::string_view data) {
    progress.feed(data);
    return true;
  }));
  TRYV(check(std::move(r)));
  auto outcome = progress.finish();
  if (!outcome.error.empty())
    return fail(Errc::Internal, fmt::format("service \"{}\" failed to build: {}", request.service, outcome.error));
  return {};
}

Result<void> ComposeApiEngine::pull_image(const std::string& reference) {
  std::lock_guard lock(progress_mu_);
  return cli::pull_image(cli_, reference, "", quiet_, 2);
}

Result<void> ComposeApiEngine::push_image(const std::string& reference) {
  std::lock_guard lock(progress_mu_);
  PullTarget t = TRY(pull_target(reference));
  return stream_progress(cli_, "/images/" + url_encode(t.name) + "/push?tag=" + url_encode(t.tag), t.domain, quiet_, 2);
}

int64_t ComposeApiEngine::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<void> ComposeApiEngine::watch_events(const std::string& project, std::optional<int64_t> since_ns,
                                            const std::function<bool(const compose_ops::Event&)>& on_event) {
  Doc filters{{"label", Doc::array({std::string(compose::label::kProject) + "=" + project})},
               {"type", Doc::array({"container"})}};
  std::string q = "/events?filters=" + url_encode(filters.dump());
  if (since_ns) q += fmt::format("&since={}.{:09d}", *since_ns / 1'000'000'000, *since_ns % 1'000'000'000);
  auto client = TRY(acquire());
  JsonLines lines;
  bool keep = true;
  auto r = TRY(client->stream("GET", q, "", [&](std::string_view data) {
    lines.feed(data, [&](const std::string& line) {
      if (!keep) return;
      Doc j = Doc::parse(line, nullptr, false);
      if (!j.is_object()) return;
      compose_ops::Event e;
      e.action = str(j, "Action");
      if (e.action.empty()) e.action = str(j, "status");
      e.id = str(j, "id");
      if (j.contains("Actor") && j["Actor"].is_object()) {
        if (e.id.empty()) e.id = str(j["Actor"], "ID");
        e.attributes = string_map(j["Actor"].value("Attributes", Doc::object()));
      }
      e.time_nano = j.value("timeNano", int64_t{0});
      keep = on_event(e);
    });
    return keep;
  }));
  TRYV(check(std::move(r)));
  return {};  // the connection was dropped on purpose: not returned to the pool
}

}  // namespace berth::cli
