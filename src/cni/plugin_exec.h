// Running one CNI plugin binary: found in the bin dirs, started with the CNI
// environment and its config on stdin, its stdout read as a result or as a
// CNI error ({"code", "msg", "details"}) turned into a plain message.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::cni {

// The executable bin_dir/type of the first bin dir that has it; NotFound
// naming the type and every dir looked in.
Result<std::string> find_plugin(const std::string& type, const std::vector<std::string>& bin_dirs);

struct PluginCall {
  std::string command;       // CNI_COMMAND: ADD, DEL, CHECK, VERSION
  std::string container_id;  // CNI_CONTAINERID
  std::string netns;         // CNI_NETNS ("" on a DEL whose netns is gone)
  std::string ifname;        // CNI_IFNAME
  std::string args;          // CNI_ARGS, "K=V;K=V"
  std::string path;          // CNI_PATH, the bin dirs joined by ':'
  nlohmann::json config;     // written to stdin
};

// Runs it (killed after timeout; zero waits as long as it takes). Returns what
// it printed as JSON, null when it printed nothing. Errors name the plugin
// type and the command.
Result<nlohmann::json> exec_plugin(const std::string& binary, const std::string& type, const PluginCall& call,
                                   std::chrono::milliseconds timeout);

// "msg: details (CNI error 7: invalid network config)" for a CNI error object.
std::string describe_cni_error(const nlohmann::json& error);

}  // namespace berth::cni
