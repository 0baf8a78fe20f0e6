// Fuzz target: the container spec at the API edge (dockerapi/container_create.h),
// fed any JSON document (inputs that are not JSON are skipped: the HTTP layer
// refuses them before, see json_syntax.cc).
// Checks: no parser throws or crashes on any value of any type; a body that
// parses survives berth's stored form (model/spec_json.h) unchanged, and its
// Config and HostConfig as inspect renders them (dockerapi/container_json.h),
// sent back as text, parse back to values that render the same.
#include <cstdint>

#include "dockerapi/container_create.h"
#include "dockerapi/container_json.h"
#include "fuzz_check.h"
#include "model/spec_json.h"

using nlohmann::json;
namespace api = berth::dockerapi;

namespace {

// What a client reads and sends back: text (in memory, json(0) is signed; "0" parses unsigned).
json through_text(const json& j) { return json::parse(j.dump(-1, ' ', false, json::error_handler_t::replace)); }

// What differs, as a JSON patch between the stored forms.
std::string changes(const berth::model::ContainerSpec& before, const berth::model::ContainerSpec& after) {
  return json::diff(berth::model::spec_to_json(before), berth::model::spec_to_json(after)).dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  json body = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;

  // The other public entry points, as an update, commit or connect body reaches them.
  if (auto r = api::FieldReader::of(body, "")) {
    (void)api::parse_config(*r);
    (void)api::parse_host_config(*r, true);
    (void)api::parse_host_config(*r, false);
    (void)api::parse_resources(*r);
    (void)api::parse_restart_policy(*r);
    (void)api::parse_endpoint(*r);
  }

  auto spec = api::parse_create_body(body);
  if (!spec) return 0;
  json stored = berth::model::spec_to_json(*spec);
  auto restored = berth::model::spec_from_json(stored);
  FUZZ_CHECK(restored, "the stored form " + stored.dump() + " does not load: " + restored.error().str());
  FUZZ_CHECK(*restored == *spec, "the spec changes through its stored form " + stored.dump());

  // Inspect's forms are fixed points: what a client reads back and sends again
  // creates a container that inspects the same (unset and default may merge:
  // an unset OomKillDisable shows as false, as dockerd shows it).
  json config = through_text(api::render_config(spec->config));
  auto config_again = api::parse_config(*api::FieldReader::of(config, "Config"));
  FUZZ_CHECK(config_again, "rendered Config " + config.dump() + " does not parse: " + config_again.error().str());
  FUZZ_CHECK(through_text(api::render_config(*config_again)) == config,
             "Config changes through inspect's form " + config.dump() + ": " +
                 changes(*spec, {*config_again, spec->host, spec->endpoints}));

  json host = through_text(api::render_host_config(spec->host));
  auto host_again = api::parse_host_config(*api::FieldReader::of(host, "HostConfig"), true);
  FUZZ_CHECK(host_again, "rendered HostConfig " + host.dump() + " does not parse: " + host_again.error().str());
  FUZZ_CHECK(through_text(api::render_host_config(*host_again)) == host,
             "HostConfig changes through inspect's form " + host.dump() + ": " +
                 changes(*spec, {spec->config, *host_again, spec->endpoints}));
  return 0;
}
