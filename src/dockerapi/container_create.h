// Docker's container JSON (POST /containers/create, /containers/{id}/update,
// /commit's config, /networks/{id}/connect's EndpointConfig) parsed once into
// the engine's types. Only the forms are checked here (types, enumerated
// values, fields berth cannot honour); what the values mean is checked by the
// engine for every front end.
#pragma once

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "dockerapi/field_reader.h"
#include "model/container_spec.h"

namespace berth::dockerapi {

// The create body: Config fields at the top level, "HostConfig", "NetworkingConfig".
Result<model::ContainerSpec> parse_create_body(const nlohmann::json& body);

Result<model::ContainerConfig> parse_config(const FieldReader& config);
// refuse_unsupported: fields berth cannot honour are an error (a request);
// false ignores them (records stored by an older berth).
Result<model::HostConfig> parse_host_config(const FieldReader& host_config, bool refuse_unsupported = true);
// The resource fields (HostConfig's, or an update body's).
Result<model::Resources> parse_resources(const FieldReader& r);
Result<model::RestartPolicy> parse_restart_policy(const FieldReader& r);
// EndpointSettings (NetworkingConfig.EndpointsConfig[name], network connect's EndpointConfig).
Result<model::EndpointRequest> parse_endpoint(const FieldReader& r);

}  // namespace berth::dockerapi
