// RuntimeServiceImpl through a real gRPC channel on a UNIX socket (in process):
// the runtime-level answers, Status's conditions, forwarding to the pod side.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cri/image_service.h"
#include "cri/runtime_service.h"
#include "cri/server.h"
#include "fake_pod_backend.h"
#include "fake_images.h"

namespace berth::cri {
namespace {

using testing::FakePodBackend;

class RuntimeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-unit-cri.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Serves the service over the given pod side (default: a fake that answers OK) and connects a client.
  void serve(PodBackend* pods = nullptr, std::function<Result<void>()> ready = [] { return Result<void>{}; }) {
    runtime_ = std::make_unique<RuntimeServiceImpl>(RuntimeInfo{"1.2.3", "cgroupfs", dir_ + "/cri.sock"},
                                                    pods ? *pods : default_pods_, ready);
    images_svc_ = std::make_unique<ImageServiceImpl>(images_, dist_, std::vector<std::string>{dir_});
    ServerOptions o;
    o.socket = dir_ + "/cri.sock";
    o.group = "";
    auto s = Server::start(o, *runtime_, *images_svc_);
    ASSERT_TRUE(s) << s.error().str();
    server_ = std::move(*s);
    auto ch = grpc::CreateChannel("unix:" + o.socket, grpc::InsecureChannelCredentials());
    stub_ = rt::RuntimeService::NewStub(ch);
  }

  std::string dir_;
  FakePodBackend default_pods_;
  testing::FakeImages images_;
  testing::FakeDistribution dist_;
  std::unique_ptr<RuntimeServiceImpl> runtime_;
  std::unique_ptr<ImageServiceImpl> images_svc_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<rt::RuntimeService::Stub> stub_;
};

TEST_F(RuntimeServiceTest, VersionNamesBerthAndV1) {
  serve();
  grpc::ClientContext ctx;
  rt::VersionResponse r;
  ASSERT_TRUE(stub_->Version(&ctx, rt::VersionRequest(), &r).ok());
  EXPECT_EQ(r.runtime_name(), "berth");
  EXPECT_EQ(r.runtime_version(), "1.2.3");
  EXPECT_EQ(r.runtime_api_version(), "v1");
}

TEST_F(RuntimeServiceTest, SocketIsMode0660AndRemovedOnStop) {
  serve();
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/cri.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  server_->stop();
  EXPECT_NE(::access((dir_ + "/cri.sock").c_str(), F_OK), 0);
}

TEST_F(RuntimeServiceTest, RefusesToReplaceAFileThatIsNotASocket) {
  std::string path = dir_ + "/cri.sock";
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_TRUE(f);
  std::fclose(f);
  RuntimeServiceImpl rs(RuntimeInfo{"1", "cgroupfs", path}, default_pods_, nullptr);
  ImageServiceImpl is(images_, dist_, {});
  auto s = Server::start({path, ""}, rs, is);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::AlreadyExists);
  EXPECT_NE(s.error().message.find("not a socket"), std::string::npos);
}

TEST_F(RuntimeServiceTest, RuntimeConfigIsTheCgroupDriver) {
  serve();
  grpc::ClientContext ctx;
  rt::RuntimeConfigResponse r;
  ASSERT_TRUE(stub_->RuntimeConfig(&ctx, rt::RuntimeConfigRequest(), &r).ok());
  EXPECT_EQ(r.linux().cgroup_driver(), rt::CGROUPFS);
}

TEST_F(RuntimeServiceTest, StatusReportsBothConditions) {
  FakePodBackend pods;
  serve(&pods);
  grpc::ClientContext ctx;
  rt::StatusRequest req;
  req.set_verbose(true);
  rt::StatusResponse r;
  ASSERT_TRUE(stub_->Status(&ctx, req, &r).ok());
  ASSERT_EQ(r.status().conditions_size(), 2);
  EXPECT_EQ(r.status().conditions(0).type(), "RuntimeReady");
  EXPECT_TRUE(r.status().conditions(0).status());
  EXPECT_EQ(r.status().conditions(1).type(), "NetworkReady");
  EXPECT_TRUE(r.status().conditions(1).status());
  auto info = nlohmann::json::parse(r.info().at("config"));
  EXPECT_EQ(info["cgroupDriver"], "cgroupfs");
}

TEST_F(RuntimeServiceTest, StatusNetworkNotReadyCarriesReasonAndMessage) {
  FakePodBackend pods;
  pods.network = fail(Errc::NotFound, "no network config found in /etc/cni/net.d");
  serve(&pods, [] { return Result<void>(fail(Errc::Unavailable, "the monitor cannot be run")); });
  grpc::ClientContext ctx;
  rt::StatusResponse r;
  ASSERT_TRUE(stub_->Status(&ctx, rt::StatusRequest(), &r).ok());
  EXPECT_FALSE(r.status().conditions(0).status());
  EXPECT_EQ(r.status().conditions(0).message(), "the monitor cannot be run");
  EXPECT_FALSE(r.status().conditions(1).status());
  EXPECT_EQ(r.status().conditions(1).reason(), "NetworkPluginNotReady");
  EXPECT_EQ(r.status().conditions(1).message(), "no network config found in /etc/cni/net.d");
  EXPECT_TRUE(r.info().empty());  // not verbose
}

TEST_F(RuntimeServiceTest, PodRpcsAreForwardedWithTheirAnswers) {
  FakePodBackend pods;
  serve(&pods);
  {
    grpc::ClientContext ctx;
    rt::RunPodSandboxRequest req;
    req.mutable_config()->mutable_metadata()->set_name("web");
    rt::RunPodSandboxResponse r;
    ASSERT_TRUE(stub_->RunPodSandbox(&ctx, req, &r).ok());
    EXPECT_EQ(r.pod_sandbox_id(), "pod-web");
  }
  pods.answer = grpc::Status(grpc::StatusCode::NOT_FOUND, "container abc not found");
  grpc::ClientContext ctx;
  rt::ExecSyncResponse r;
  auto st = stub_->ExecSync(&ctx, rt::ExecSyncRequest(), &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "container abc not found");
  EXPECT_EQ(pods.calls, (std::vector<std::string>{"RunPodSandbox", "ExecSync"}));
}

TEST_F(RuntimeServiceTest, EventsStreamFromThePodSide) {
  FakePodBackend pods;
  serve(&pods);
  grpc::ClientContext ctx;
  auto reader = stub_->GetContainerEvents(&ctx, rt::GetEventsRequest());
  rt::ContainerEventResponse ev;
  ASSERT_TRUE(reader->Read(&ev));
  EXPECT_EQ(ev.container_id(), "c1");
  EXPECT_EQ(ev.container_event_type(), rt::CONTAINER_STARTED_EVENT);
  EXPECT_FALSE(reader->Read(&ev));
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(RuntimeServiceTest, AClientThatGoesAwayCancelsItsEventWatchAtOnce) {
  FakePodBackend pods;
  pods.ends_after_first = false;  // the watch blocks after the first event
  serve(&pods);
  grpc::ClientContext ctx;
  auto reader = stub_->GetContainerEvents(&ctx, rt::GetEventsRequest());
  rt::ContainerEventResponse ev;
  ASSERT_TRUE(reader->Read(&ev));
  ctx.TryCancel();
  std::unique_lock lk(pods.watch_mu);
  // Bounded for a loaded machine; nothing here wakes up on a timer.
  EXPECT_TRUE(pods.watch_cv.wait_for(lk, std::chrono::seconds(20), [&] { return pods.watch_cancelled; }));
  lk.unlock();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The client's Finish does not wait for the server's side: the stream's thread may still be
  // leaving the fake's watch. The server's shutdown waits for the stream to end, so `pods`
  // (this test's local) outlives it.
  server_.reset();
}

TEST_F(RuntimeServiceTest, EventsWithoutAnEventBusAreUnavailable) {
  FakePodBackend pods;
  pods.answer = grpc::Status(grpc::StatusCode::INTERNAL, "no watch");  // the fake then has no watch
  serve(&pods);
  grpc::ClientContext ctx;
  auto reader = stub_->GetContainerEvents(&ctx, rt::GetEventsRequest());
  rt::ContainerEventResponse ev;
  EXPECT_FALSE(reader->Read(&ev));
  auto st = reader->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(st.error_message(), "berthd's event bus is not wired to the CRI");
}

TEST_F(RuntimeServiceTest, UpdateRuntimeConfigReachesThePodSideAndStatus) {
  FakePodBackend pods;
  serve(&pods);
  {
    grpc::ClientContext ctx;
    rt::UpdateRuntimeConfigRequest req;
    req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("10.214.0.0/24");
    rt::UpdateRuntimeConfigResponse r;
    ASSERT_TRUE(stub_->UpdateRuntimeConfig(&ctx, req, &r).ok());
  }
  EXPECT_EQ(pods.pod_cidr, "10.214.0.0/24");
  grpc::ClientContext ctx;
  rt::StatusRequest req;
  req.set_verbose(true);
  rt::StatusResponse r;
  ASSERT_TRUE(stub_->Status(&ctx, req, &r).ok());
  EXPECT_EQ(nlohmann::json::parse(r.info().at("config"))["podCIDR"], "10.214.0.0/24");
}

}  // namespace
}  // namespace berth::cri
