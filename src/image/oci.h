// OCI / Docker image config, manifest, index and descriptors: parse (errors
// name the JSON path, "rootfs.diff_ids[1]") and serialize canonically.
//
// The image ID is the digest of the config blob *as stored*: configs read from
// a registry or an archive are kept as their original bytes and never
// re-serialized. serialize_* matter for what berth writes itself (commit,
// build, save), and write the bytes Docker writes, so the same config gets the
// same ID as under Docker:
//  - image config: top-level keys sorted (Docker marshals the image through a
//    map), "config" fields in the order of Docker's container.Config struct,
//    history entries in struct order; maps sorted; Go's escaping (base/go_json.h).
//  - manifest / index / descriptor: struct order of the OCI Go types.
// Fields berth does not model are kept (in `extra`) and written back, so a
// canonical input is reproduced byte for byte.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "content/digest.h"

namespace berth::image {

using content::Digest;

struct Platform {
  std::string architecture;
  std::string os;
  std::string os_version;                // "os.version"
  std::vector<std::string> os_features;  // "os.features"
  std::string variant;
  bool operator==(const Platform&) const = default;
};

struct Descriptor {
  std::string media_type;
  Digest digest = content::sha256({});  // a Digest has no empty state; set by the parser
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  std::string artifact_type;
  bool operator==(const Descriptor&) const = default;
};

// The runtime defaults of a container (Docker's container.Config subset).
// Every field is optional so that "absent" and "empty" survive a round trip.
struct ContainerConfig {
  std::optional<std::string> user;
  std::optional<std::set<std::string>> exposed_ports;  // "80/tcp"
  std::optional<std::vector<std::string>> env;
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::optional<std::set<std::string>> volumes;
  std::optional<std::string> working_dir;
  std::optional<std::map<std::string, std::string>> labels;
  std::optional<std::string> stop_signal;
  // Other keys (Hostname, Healthcheck, ArgsEscaped, ...) and keys whose value is null.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  bool operator==(const ContainerConfig&) const = default;
};

struct RootFs {
  std::string type = "layers";
  std::vector<Digest> diff_ids;
  bool operator==(const RootFs&) const = default;
};

struct History {
  std::string created;  // RFC 3339, as written
  std::string author;
  std::string created_by;
  std::string comment;
  bool empty_layer = false;
  bool operator==(const History&) const = default;
};

struct ImageConfig {
  std::string architecture;
  std::string os;
  std::string variant;
  std::string os_version;
  std::string created;  // RFC 3339, as written
  std::string author;
  std::optional<ContainerConfig> config;
  std::optional<RootFs> rootfs;
  std::vector<History> history;
  // Other top-level keys (container, container_config, docker_version, ...).
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  bool operator==(const ImageConfig&) const = default;
};

struct Manifest {
  int schema_version = 2;
  std::string media_type;  // may be empty in OCI manifests
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
  bool operator==(const Manifest&) const = default;
};

struct Index {
  int schema_version = 2;
  std::string media_type;
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
  bool operator==(const Index&) const = default;
};

// Parsers: InvalidArgument naming the JSON path and what was expected.
Result<ImageConfig> parse_image_config(std::string_view json);
Result<Manifest> parse_manifest(std::string_view json);
Result<Index> parse_index(std::string_view json);
Result<Descriptor> parse_descriptor(std::string_view json);

std::string serialize(const ImageConfig& c);
std::string serialize(const Manifest& m);
std::string serialize(const Index& i);
std::string serialize(const Descriptor& d);

// The image ID: sha256 of the config bytes exactly as stored.
Digest image_id(std::string_view config_bytes);

// Chain IDs (image-spec "layer chain ID"): chain[0] = diff[0],
// chain[n] = sha256(chain[n-1].str() + " " + diff[n].str()).
std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);
Digest chain_id(const std::vector<Digest>& diff_ids);  // of the top layer; diff_ids non-empty

}  // namespace berth::image
