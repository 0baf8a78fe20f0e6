#include "shimproto/assignment.h"

#include <nlohmann/json.hpp>

namespace berth::shimproto {

std::string Assignment::encode() const {
  return nlohmann::json{{"args", args}, {"log", log_path}}.dump(-1, ' ', false,
                                                                nlohmann::json::error_handler_t::replace);
}

Result<Assignment> Assignment::decode(std::string_view payload) {
  auto bad = [](const std::string& why) { return fail(Errc::InvalidArgument, "shim protocol: Launch frame: " + why); };
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  auto args = j.find("args");
  if (args == j.end() || !args->is_array() || args->empty()) return bad("\"args\" is not a non-empty array");
  Assignment a;
  for (const auto& arg : *args) {
    if (!arg.is_string()) return bad("\"args\" holds a non-string");
    a.args.push_back(arg.get<std::string>());
  }
  auto log = j.find("log");
  if (log == j.end() || !log->is_string() || log->get_ref<const std::string&>().empty())
    return bad("\"log\" is not a non-empty string");
  a.log_path = log->get<std::string>();
  return a;
}

}  // namespace berth::shimproto
