// Fuzz target: what berth reads from CNI configs and plugins (src/cni): a
// network list, a single plugin config, a plugin's result of any version, a
// CNI error object, all from the same JSON value.
// Checks: no crash or throw; a parsed list parses again from its stored form
// (the cache's) to the same name, version and plugins; a converted result
// converts to itself and yields IPs in CIDR form of the version they claim.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cni/config.h"
#include "cni/plugin_exec.h"
#include "cni/result.h"
#include "fuzz_check.h"

using nlohmann::json;
using namespace berth::cni;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  json doc = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;

  for (bool single : {false, true}) {
    auto list = single ? parse_single_network(doc, "f.conf") : parse_network_list(doc, "f.conflist");
    if (!list) {
      FUZZ_CHECK(list.error().code == berth::Errc::InvalidArgument, list.error().message);
      continue;
    }
    auto again = parse_network_list(list->raw, "cache");
    FUZZ_CHECK(again, again ? "" : again.error().message);
    FUZZ_CHECK(again->name == list->name && again->cni_version == list->cni_version &&
                   again->plugins == list->plugins,
               list->raw.dump());
    FUZZ_CHECK(!list->plugins.empty(), "a list without plugins");
  }

  auto v1 = result_to_v1(doc);
  if (v1) {
    FUZZ_CHECK((*v1)["cniVersion"] == "1.0.0", v1->dump());
    auto twice = result_to_v1(*v1);
    FUZZ_CHECK(twice && *twice == *v1, v1->dump());
    auto r = attach_result_from_v1(*v1);
    for (const auto& ip : r.ips) {
      auto slash = ip.address.find('/');
      FUZZ_CHECK(slash != std::string::npos, ip.address);
      FUZZ_CHECK((ip.version == 6) == (ip.address.find(':') != std::string::npos), ip.address);
    }
  }
  if (doc.is_object()) (void)describe_cni_error(doc);
  return 0;
}
