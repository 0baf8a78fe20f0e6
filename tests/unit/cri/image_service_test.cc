// ImageServiceImpl over fakes of the engine's image and distribution areas
// (called directly: the gRPC transport is covered by runtime_service_test).
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "cri/image_fs.h"
#include "cri/image_service.h"
#include "cri/status.h"
#include "fake_images.h"

namespace berth::cri {
namespace {

const std::string kId = "sha256:" + std::string(64, 'b');

class ImageServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { dist_.images = &images_; }
  testing::FakeImages images_;
  testing::FakeDistribution dist_;
  ImageServiceImpl svc_{images_, dist_, {}};
  grpc::ServerContext ctx_;
};

rt::ImageSpec spec(const std::string& ref) {
  rt::ImageSpec s;
  s.set_image(ref);
  return s;
}

TEST_F(ImageServiceTest, PullReturnsTheImageIdAndPullsOneTag) {
  rt::PullImageRequest req;
  *req.mutable_image() = spec("127.0.0.1:5000/test/busybox");
  rt::PullImageResponse r;
  ASSERT_TRUE(svc_.PullImage(&ctx_, &req, &r).ok());
  EXPECT_EQ(r.image_ref(), dist_.image_id);
  ASSERT_EQ(dist_.pulls.size(), 1u);
  // A name alone is its latest tag (the Docker API would take every tag).
  EXPECT_EQ(dist_.pulls[0].reference, "127.0.0.1:5000/test/busybox:latest");
  EXPECT_EQ(dist_.pulls[0].auth.header, "");
}

TEST_F(ImageServiceTest, PullKeepsTagsAndDigests) {
  for (const std::string& ref : {std::string("busybox:1.36"), "reg:5000/a/b@sha256:" + std::string(64, 'c')}) {
    rt::PullImageRequest req;
    *req.mutable_image() = spec(ref);
    rt::PullImageResponse r;
    ASSERT_TRUE(svc_.PullImage(&ctx_, &req, &r).ok());
    EXPECT_EQ(dist_.pulls.back().reference, ref);
  }
}

TEST_F(ImageServiceTest, PullPassesEveryCredentialTheCriGives) {
  rt::PullImageRequest req;
  *req.mutable_image() = spec("reg:5000/x:1");
  req.mutable_auth()->set_username("u");
  req.mutable_auth()->set_password("p w");
  req.mutable_auth()->set_identity_token("idt");
  req.mutable_auth()->set_registry_token("bearer");
  rt::PullImageResponse r;
  ASSERT_TRUE(svc_.PullImage(&ctx_, &req, &r).ok());
  auto text = base64::decode(dist_.pulls[0].auth.header);
  ASSERT_TRUE(text);
  auto j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["username"], "u");
  EXPECT_EQ(j["password"], "p w");
  EXPECT_EQ(j["identitytoken"], "idt");
  EXPECT_EQ(j["registrytoken"], "bearer");
}

TEST_F(ImageServiceTest, PullErrorsKeepBerthsMessage) {
  dist_.fail_before = Error{Errc::NotFound, 0, "manifest unknown: reg:5000/x:9"};
  rt::PullImageRequest req;
  *req.mutable_image() = spec("reg:5000/x:9");
  rt::PullImageResponse r;
  auto st = svc_.PullImage(&ctx_, &req, &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(st.error_message().find("manifest unknown: reg:5000/x:9"), std::string::npos);

  dist_.fail_before.reset();
  dist_.fail_in_stream = "unauthorized: authentication required";
  st = svc_.PullImage(&ctx_, &req, &r);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.error_message().find("unauthorized: authentication required"), std::string::npos);
}

TEST_F(ImageServiceTest, EmptyImageIsInvalidArgument) {
  rt::PullImageRequest pull;
  rt::PullImageResponse pr;
  EXPECT_EQ(svc_.PullImage(&ctx_, &pull, &pr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  rt::ImageStatusRequest st;
  rt::ImageStatusResponse sr;
  EXPECT_EQ(svc_.ImageStatus(&ctx_, &st, &sr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  rt::RemoveImageRequest rm;
  rt::RemoveImageResponse rr;
  EXPECT_EQ(svc_.RemoveImage(&ctx_, &rm, &rr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ImageServiceTest, StatusOfAnAbsentImageIsAnEmptyAnswer) {
  rt::ImageStatusRequest req;
  *req.mutable_image() = spec("nothere:1");
  rt::ImageStatusResponse r;
  ASSERT_TRUE(svc_.ImageStatus(&ctx_, &req, &r).ok());
  EXPECT_FALSE(r.has_image());
}

TEST_F(ImageServiceTest, StatusVerboseCarriesTheConfig) {
  images_.add(kId, {"busybox:latest"}, "1000:1000", 4242);
  rt::ImageStatusRequest req;
  *req.mutable_image() = spec("busybox:latest");
  req.set_verbose(true);
  rt::ImageStatusResponse r;
  ASSERT_TRUE(svc_.ImageStatus(&ctx_, &req, &r).ok());
  EXPECT_EQ(r.image().id(), kId);
  EXPECT_EQ(r.image().size(), 4242u);
  EXPECT_EQ(r.image().uid().value(), 1000);
  EXPECT_EQ(r.image().spec().image(), kId);
  auto info = nlohmann::json::parse(r.info().at("info"));
  EXPECT_EQ(info["Config"]["User"], "1000:1000");
}

TEST_F(ImageServiceTest, ImageUserNameOrUid) {
  nlohmann::ordered_json j = {{"Id", kId}, {"Config", {{"User", "nobody"}}}};
  auto img = image_from_inspect(j);
  EXPECT_EQ(img.username(), "nobody");
  EXPECT_FALSE(img.has_uid());
  j["Config"]["User"] = "";
  img = image_from_inspect(j);
  EXPECT_EQ(img.username(), "");
  EXPECT_FALSE(img.has_uid());
  j["Config"]["User"] = "0";
  img = image_from_inspect(j);
  ASSERT_TRUE(img.has_uid());
  EXPECT_EQ(img.uid().value(), 0);
}

TEST_F(ImageServiceTest, ListAllAndFiltered) {
  images_.add(kId, {"busybox:latest", "busybox:1"});
  images_.add("sha256:" + std::string(64, 'd'), {"alpine:3"});
  rt::ListImagesRequest all;
  rt::ListImagesResponse r;
  ASSERT_TRUE(svc_.ListImages(&ctx_, &all, &r).ok());
  EXPECT_EQ(r.images_size(), 2);
  rt::ListImagesRequest one;
  *one.mutable_filter()->mutable_image() = spec("busybox:1");
  rt::ListImagesResponse r1;
  ASSERT_TRUE(svc_.ListImages(&ctx_, &one, &r1).ok());
  ASSERT_EQ(r1.images_size(), 1);
  EXPECT_EQ(r1.images(0).id(), kId);
  EXPECT_EQ(r1.images(0).repo_tags_size(), 2);
  rt::ListImagesRequest none;
  *none.mutable_filter()->mutable_image() = spec("nothere:1");
  rt::ListImagesResponse r0;
  ASSERT_TRUE(svc_.ListImages(&ctx_, &none, &r0).ok());
  EXPECT_EQ(r0.images_size(), 0);
}

TEST_F(ImageServiceTest, RemoveTakesEveryTagAndIsIdempotent) {
  images_.add(kId, {"busybox:latest", "busybox:1"});
  rt::RemoveImageRequest req;
  *req.mutable_image() = spec("busybox:1");
  rt::RemoveImageResponse r;
  ASSERT_TRUE(svc_.RemoveImage(&ctx_, &req, &r).ok());
  EXPECT_EQ(images_.removed, (std::vector<std::string>{kId + " force"}));
  EXPECT_TRUE(images_.by_name.empty());
  ASSERT_TRUE(svc_.RemoveImage(&ctx_, &req, &r).ok());  // gone already
}

TEST_F(ImageServiceTest, RemoveOfAnImageInUseIsAFailedPrecondition) {
  images_.add(kId, {"busybox:latest"});
  images_.conflict = true;
  rt::RemoveImageRequest req;
  *req.mutable_image() = spec("busybox:latest");
  rt::RemoveImageResponse r;
  auto st = svc_.RemoveImage(&ctx_, &req, &r);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("used by running container"), std::string::npos);
}

TEST(ImageFs, CountsBytesAndInodesOnceEach) {
  char tmpl[] = "/tmp/berth-unit-crifs.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::filesystem::create_directories(dir + "/content/blobs");
  {
    std::ofstream f(dir + "/content/blobs/a");
    f << std::string(10000, 'x');
  }
  std::filesystem::create_hard_link(dir + "/content/blobs/a", dir + "/content/blobs/b");
  auto u = measure_fs_usage({dir + "/content", dir + "/missing"});
  ASSERT_TRUE(u) << u.error().str();
  EXPECT_EQ(u->inodes_used, 3u);  // content, blobs, a (b is a)
  EXPECT_GE(u->used_bytes, 10000u);
  EXPECT_LT(u->used_bytes, 10000u + 3 * 64 * 1024);
  EXPECT_TRUE(dir.starts_with(u->mountpoint)) << u->mountpoint;
  std::filesystem::remove_all(dir);
}

TEST(ImageFs, MountpointOfRootIsRoot) {
  auto m = mountpoint_of("/");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, "/");
  auto bad = mountpoint_of("/nonexistent/berth/path");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::NotFound);
}

TEST(StatusMapping, EveryErrorClassHasItsCode) {
  EXPECT_EQ(status_code(Errc::NotFound), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status_code(Errc::InvalidArgument), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status_code(Errc::AlreadyExists), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(status_code(Errc::Conflict), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status_code(Errc::PermissionDenied), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status_code(Errc::Unavailable), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status_code(Errc::Unsupported), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(status_code(Errc::Internal), grpc::StatusCode::INTERNAL);
  auto st = to_status(Error{Errc::NotFound, 0, "no such pod: p1"}, "PodSandboxStatus");
  EXPECT_EQ(st.error_message(), "PodSandboxStatus: no such pod: p1");
}

}  // namespace
}  // namespace berth::cri
