// The pure parts of the image API: Go-shaped config JSON (times and filters: tests/unit/base).
// No root, no server.
#include <gtest/gtest.h>

#include "engine/images/image_json.h"
#include "base/go_json.h"

using namespace berth;
using namespace berth::engine::images;

TEST(ImageJson, ContainerConfigHasEveryGoField) {
  auto raw = nlohmann::json::parse(R"({"Cmd":"sh","ExposedPorts":{"80/tcp":{}},"Labels":{"a":"b"},
                                       "StopSignal":"SIGTERM","Unknown":1})");
  auto c = container_config_json(raw);
  EXPECT_EQ(go::marshal(c),
            R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,)"
            R"("AttachStderr":false,"ExposedPorts":{"80/tcp":{}},"Tty":false,"OpenStdin":false,)"
            R"("StdinOnce":false,"Env":null,"Cmd":["sh"],"Image":"","Volumes":null,"WorkingDir":"",)"
            R"("Entrypoint":null,"OnBuild":null,"Labels":{"a":"b"},"StopSignal":"SIGTERM"})");
  EXPECT_TRUE(container_config_json(nullptr).is_null());
}

TEST(ImageJson, FamiliarRefsSplitTagsAndDigests) {
  auto r = familiar_refs({"docker.io/library/busybox:latest", "example.com/a/b:1",
                          "docker.io/library/busybox@sha256:" + std::string(64, 'a')});
  EXPECT_EQ(r.tags, (std::vector<std::string>{"busybox:latest", "example.com/a/b:1"}));
  EXPECT_EQ(r.digests, (std::vector<std::string>{"busybox@sha256:" + std::string(64, 'a')}));
  EXPECT_EQ(short_id("sha256:0123456789abcdef"), "0123456789ab");
}
