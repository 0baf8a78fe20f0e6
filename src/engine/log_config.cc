#include "engine/log_config.h"

#include "logs/log_writer.h"

namespace berth::engine {

Result<model::LogConfig> effective_log_config(const model::LogConfig& requested, const std::string& daemon_driver,
                                              const std::map<std::string, std::string>& daemon_options) {
  model::LogConfig out = requested;
  if (out.driver.empty()) out.driver = daemon_driver;
  if (out.driver == daemon_driver)
    for (const auto& [k, v] : daemon_options) out.options.emplace(k, v);
  TRYV(logs::validate_log_config(out.driver, out.options));
  return out;
}

}  // namespace berth::engine
