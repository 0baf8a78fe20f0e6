// Backends for route tests: every call fails with `error` when it is set,
// else answers something plausible; what the routes passed is recorded.
#pragma once

#include <optional>
#include <string>

#include "backend/build.h"
#include "backend/containers.h"
#include "backend/distribution.h"
#include "backend/exec.h"
#include "backend/images.h"
#include "backend/networks.h"
#include "backend/system.h"
#include "backend/volumes.h"

namespace berth::server::testing {

class Failing {
 public:
  std::optional<Error> error;

 protected:
  template <class T>
  Result<T> answer(T value) {
    if (error) return std::unexpected(*error);
    return value;
  }
  Result<void> answer() {
    if (error) return std::unexpected(*error);
    return {};
  }
};

class FakeContainers : public backend::ContainerBackend, public Failing {
 public:
  std::optional<model::ContainerSpec> created;
  std::string last_ref;
  model::Filters last_filters;
  std::optional<model::Resources> updated;

  Result<backend::CreateResult> create(const std::string& name, const model::ContainerSpec& spec) override {
    created = spec;
    return answer(backend::CreateResult{"id-" + name, {}});
  }
  Result<bool> start(const std::string& ref) override { return answer(true); }
  Result<bool> stop(const std::string& ref, std::optional<int>, const std::string&) override { return answer(true); }
  Result<void> restart(const std::string&, std::optional<int>) override { return answer(); }
  Result<void> kill(const std::string&, const std::string&) override { return answer(); }
  Result<void> pause(const std::string&) override { return answer(); }
  Result<void> unpause(const std::string&) override { return answer(); }
  Result<backend::WaitResult> wait(const std::string&, backend::WaitCondition, const std::function<void()>& ready) override {
    // As the engine: a container that cannot be waited for fails before the headers go.
    if (error) return std::unexpected(*error);
    if (ready) ready();
    return backend::WaitResult{0, {}};
  }
  Result<void> remove(const std::string& ref, bool, bool) override {
    last_ref = ref;
    return answer();
  }
  Result<void> rename(const std::string&, const std::string&) override { return answer(); }
  Result<std::vector<std::string>> update(const std::string&, const model::Resources& r,
                                          const std::optional<model::RestartPolicy>&) override {
    updated = r;
    return answer(std::vector<std::string>{});
  }
  Result<void> resize(const std::string&, unsigned, unsigned) override { return answer(); }
  Result<model::PruneReport> prune(const model::Filters& f) override {
    last_filters = f;
    return answer(model::PruneReport{});
  }
  Result<model::ContainerInfo> inspect(const std::string& ref, bool) override {
    model::ContainerInfo i;
    i.id = ref;
    i.name = "/" + ref;
    i.path = "sh";
    i.args = {"-c", "echo a; echo b"};
    return answer(i);
  }
  Result<std::vector<model::ContainerInfo>> list(const model::ListOptions& o) override {
    last_filters = o.filters;
    auto one = inspect("c1", false);
    if (!one) return std::unexpected(one.error());
    return std::vector<model::ContainerInfo>{*one};
  }
  Result<model::ProcessTable> top(const std::string&, const std::string&) override {
    return answer(model::ProcessTable{{"PID", "CMD"}, {{"1", "sh"}}});
  }
  Result<backend::StatsSample> stats(const std::string&) override { return answer(backend::StatsSample{}); }
  std::shared_ptr<void> hold_stats() override { return nullptr; }
  Result<backend::StatsSample> next_stats(const std::string&, uint64_t) override { return answer(backend::StatsSample{}); }
  Result<std::vector<model::Change>> changes(const std::string&) override {
    return answer(std::vector<model::Change>{});
  }
  Result<void> attach(const std::string&, const backend::AttachOptions&, UniqueFd, std::string) override {
    return answer();
  }
  Result<void> logs(const std::string&, const backend::LogsOptions&, int, const backend::Sink&) override {
    return answer();
  }
  Result<bool> has_tty(const std::string&) override { return answer(false); }
  Result<void> export_rootfs(const std::string&, int) override { return answer(); }
  Result<std::string> archive_stat(const std::string&, const std::string&) override { return answer(std::string("e30=")); }
  Result<void> archive_get(const std::string&, const std::string&,
                           const std::function<Result<void>(std::string_view)>&) override {
    return answer();
  }
  Result<void> archive_put(const std::string&, const std::string&, bool, bool,
                           const std::function<Result<size_t>(char*, size_t)>&) override {
    return answer();
  }
  Result<std::string> commit(const backend::CommitRequest&) override { return answer(std::string("sha256:x")); }
};

class FakeExec : public backend::ExecBackend, public Failing {
 public:
  std::optional<model::ExecSpec> created;
  Result<std::string> exec_create(const std::string&, const model::ExecSpec& spec) override {
    created = spec;
    return answer(std::string("exec1"));
  }
  Result<void> exec_start(const std::string&, bool, std::optional<bool>, UniqueFd, std::string) override {
    return answer();
  }
  Result<model::ExecInfo> exec_inspect(const std::string& id) override {
    model::ExecInfo i;
    i.id = id;
    return answer(i);
  }
  Result<void> exec_resize(const std::string&, unsigned, unsigned) override { return answer(); }
};

class FakeNetworks : public backend::NetworkBackend, public Failing {
 public:
  std::optional<model::EndpointRequest> connected;
  Result<nlohmann::json> network_list(const model::Filters&) override { return answer(nlohmann::json::array()); }
  Result<nlohmann::json> network_create(const nlohmann::json&) override { return answer(nlohmann::json{{"Id", "n1"}}); }
  Result<nlohmann::json> network_inspect(const std::string&) override { return answer(nlohmann::json::object()); }
  Result<void> network_remove(const std::string&) override { return answer(); }
  Result<nlohmann::json> network_prune(const model::Filters&) override { return answer(nlohmann::json::object()); }
  Result<void> network_connect(const std::string&, const std::string&, const model::EndpointRequest& e) override {
    connected = e;
    return answer();
  }
  Result<void> network_disconnect(const std::string&, const std::string&, bool) override { return answer(); }
};

class FakeVolumes : public backend::VolumeBackend, public Failing {
 public:
  Result<nlohmann::json> volume_list(const model::Filters&) override { return answer(nlohmann::json::object()); }
  Result<nlohmann::json> volume_create(const std::string& name, const std::string&, const std::map<std::string, std::string>&,
                                       const std::map<std::string, std::string>&) override {
    return answer(nlohmann::json{{"Name", name}});
  }
  Result<nlohmann::json> volume_inspect(const std::string&) override { return answer(nlohmann::json::object()); }
  Result<void> volume_remove(const std::string&, bool) override { return answer(); }
  Result<nlohmann::json> volume_prune(const model::Filters&) override { return answer(nlohmann::json::object()); }
  Result<nlohmann::json> volume_df() override { return answer(nlohmann::json::array()); }
};

class FakeImages : public backend::ImageBackend, public Failing {
 public:
  Result<nlohmann::ordered_json> image_list(const backend::ImageListOptions&) override {
    return answer(nlohmann::ordered_json::array());
  }
  Result<nlohmann::ordered_json> image_inspect(std::string_view, int) override {
    return answer(nlohmann::ordered_json::object());
  }
  Result<nlohmann::ordered_json> image_history(std::string_view) override { return answer(nlohmann::ordered_json::array()); }
  Result<void> image_tag(std::string_view, std::string_view, std::string_view) override { return answer(); }
  Result<std::vector<backend::ImageDeleteItem>> image_remove(std::string_view, bool, bool) override {
    return answer(std::vector<backend::ImageDeleteItem>{{true, "busybox:latest"}});
  }
  Result<nlohmann::ordered_json> image_prune(const std::string&) override { return answer(nlohmann::ordered_json::object()); }
  Result<void> check_import(const backend::ImageImportOptions&) override { return answer(); }
  Result<std::string> image_import(const backend::BodyReader&, const backend::ImageImportOptions&) override {
    return answer(std::string("sha256:i"));
  }
  Result<std::vector<std::string>> image_load(const backend::BodyReader&, int64_t, const backend::TransferProgress&) override {
    return answer(std::vector<std::string>{"Loaded image: x\n"});
  }
  Result<backend::SavedImages> image_save(const std::vector<std::string>&) override {
    if (error) return std::unexpected(*error);
    return fail(Errc::Internal, "no save in route tests");
  }
  Result<nlohmann::ordered_json> image_df() override { return answer(nlohmann::ordered_json{{"LayersSize", 0}}); }
};

class FakeSystem : public backend::SystemBackend {
 public:
  backend::EngineInfo info() override {
    backend::EngineInfo i;
    i.runtimes = {"berth"};
    i.default_runtime = "berth";
    i.logging_driver = "json-file";
    return i;
  }
  std::unique_ptr<backend::EventSubscription> subscribe(std::optional<int64_t>) override { return nullptr; }
};

}  // namespace berth::server::testing
