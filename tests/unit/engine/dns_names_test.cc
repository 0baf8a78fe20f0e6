// What the embedded DNS answers a container (resolve_container_name): names,
// aliases and ids on the asker's own networks, and its endpoint links.
#include <gtest/gtest.h>

#include "engine/networks/network_service.h"

namespace berth::engine {
namespace {

using Ips = std::optional<std::vector<std::string>>;

Endpoint ep(const std::string& ip, std::vector<std::string> aliases = {}, std::vector<std::string> links = {}) {
  Endpoint e;
  e.ip = ip;
  e.aliases = std::move(aliases);
  e.links = std::move(links);
  return e;
}

// proj_web_1 (alias www) and proj_db_1 on net1; other_1 on net2 only. The
// client on net1 links "proj_db_1:database" (compose's `links: [db:database]`).
std::vector<NetworkContainerView> world() {
  return {
      {"aaaaaaaaaaaa1111", "proj_web_1", {{"net1", ep("10.0.0.2", {"web", "www", "aaaaaaaaaaaa"})}}},
      {"bbbbbbbbbbbb2222", "proj_db_1", {{"net1", ep("10.0.0.3", {"db"})}}},
      {"cccccccccccc3333", "other_1", {{"net2", ep("10.1.0.2", {"other"})}}},
      {"dddddddddddd4444",
       "proj_client_1",
       {{"net1", ep("10.0.0.4", {"client"}, {"proj_db_1:database", "/proj_web_1:legacyweb", "proj_db_1"})}}},
      {"eeeeeeeeeeee5555", "proj_client_2", {{"net1", ep("10.0.0.5", {"client"})}}},
  };
}

TEST(DnsNames, NamesAliasesAndIdsOnTheAskersNetworks) {
  auto all = world();
  EXPECT_EQ(resolve_container_name(all, "eeeeeeeeeeee5555", "www"), Ips({{"10.0.0.2"}}));
  EXPECT_EQ(resolve_container_name(all, "eeeeeeeeeeee5555", "Proj_Web_1."), Ips({{"10.0.0.2"}}));
  EXPECT_EQ(resolve_container_name(all, "eeeeeeeeeeee5555", "aaaaaaaaaaaa"), Ips({{"10.0.0.2"}}));
  EXPECT_EQ(resolve_container_name(all, "eeeeeeeeeeee5555", "client"), Ips({{"10.0.0.4", "10.0.0.5"}}));
  EXPECT_EQ(resolve_container_name(all, "eeeeeeeeeeee5555", "other"), std::nullopt) << "not on its networks";
  EXPECT_EQ(resolve_container_name(all, "ffff", "www"), std::nullopt) << "an unknown asker";
}

TEST(DnsNames, EndpointLinksAreTheLinkingContainersAliasesOnly) {
  auto all = world();
  EXPECT_EQ(resolve_container_name(all, "dddddddddddd4444", "database"), Ips({{"10.0.0.3"}}));
  EXPECT_EQ(resolve_container_name(all, "dddddddddddd4444", "DATABASE."), Ips({{"10.0.0.3"}}));
  EXPECT_EQ(resolve_container_name(all, "dddddddddddd4444", "legacyweb"), Ips({{"10.0.0.2"}})) << "a leading /";
  EXPECT_EQ(resolve_container_name(all, "dddddddddddd4444", "proj_db_1"), Ips({{"10.0.0.3"}})) << "name only";
  EXPECT_EQ(resolve_container_name(all, "dddddddddddd4444", "www"), Ips({{"10.0.0.2"}})) << "names still resolve";
  EXPECT_EQ(resolve_container_name(all, "eeeeeeeeeeee5555", "database"), std::nullopt) << "another container";
  EXPECT_EQ(resolve_container_name(all, "bbbbbbbbbbbb2222", "legacyweb"), std::nullopt);
}

TEST(DnsNames, EndpointLinksSurviveTheStoredForm) {
  Endpoint e = ep("10.0.0.4", {"client"}, {"proj_db_1:database"});
  e.network_id = "net1";
  auto back = Endpoint::from_json("proj_net", e.to_json());
  EXPECT_EQ(back.links, e.links);
  EXPECT_EQ(e.to_json()["Links"], nlohmann::json({"proj_db_1:database"}));
  EXPECT_TRUE(ep("10.0.0.5").to_json()["Links"].is_null());
}

}  // namespace
}  // namespace berth::engine
