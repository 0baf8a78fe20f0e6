// An engine event (`GET /events`): what happened to which object.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace berth::model {

struct Event {
  std::string type;    // "container", "image", "network", "volume", "daemon"
  std::string action;  // "create", "start", "die", "tag", "exec_start: sh", ...
  std::string id;      // the object's id (or reference)
  std::map<std::string, std::string> attributes;  // name, image, exitCode, labels...
  int64_t time_nano = 0;                           // set when published
  std::string ns;  // the owning front end's namespace (model::ContainerSpec::ns); "" = Docker
};

}  // namespace berth::model
