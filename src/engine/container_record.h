// The stored form of a container record (the metadata DB's document), with
// its schema version:
//   1  berth 0.1: Docker's Config/HostConfig JSON as the client sent them,
//      networks, endpoints, ports and mounts as JSON documents
//   2  the typed record: ContainerSpec in berth's own form (model/spec_json.h)
// Reading a version-1 record migrates it (the caller writes it back).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "engine/container.h"

namespace berth::engine {

inline constexpr int kRecordSchema = 2;

nlohmann::json record_to_json(const ContainerRecord& record);

struct LoadedRecord {
  ContainerRecord record;
  bool migrated = false;  // it was an older version: store it again
};
// InvalidArgument naming what is wrong for a corrupt document, Unsupported
// for a version newer than this berthd's.
Result<LoadedRecord> record_from_json(std::string_view doc);

}  // namespace berth::engine
