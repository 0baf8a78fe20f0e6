#include "cli/start_status.h"

#include <fmt/format.h>

#include "base/exit_status.h"
#include "cli/cli.h"

namespace berth::cli {

Result<int> wait_answer_status(const api::Response& r) {
  if (r.status >= 400) return std::unexpected(daemon_error(r));
  Json j = Json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("StatusCode") || !j["StatusCode"].is_number_integer()) {
    return fail(Errc::Internal, fmt::format("the daemon's wait answer is not understood: {}", r.body));
  }
  if (j.contains("Error") && j["Error"].is_object() && j["Error"].value("Message", "") != "") {
    return fail(Errc::Internal, j["Error"]["Message"].get<std::string>());
  }
  return j["StatusCode"].get<int>();
}

std::optional<int> recorded_exit_code(const Json& container) {
  if (!container.is_object() || !container.contains("State") || !container["State"].is_object()) return std::nullopt;
  const Json& code = container["State"].value("ExitCode", Json());
  if (!code.is_number_integer() || code.get<int>() == 0) return std::nullopt;
  return code.get<int>();
}

int refused_start_status(std::optional<int> recorded, const Error& refusal) {
  return recorded ? *recorded : exit_status_for(refusal);
}

}  // namespace berth::cli
