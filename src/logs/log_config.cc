// Docker's checks of HostConfig.LogConfig (moby daemon/logger/factory.go and
// the json-file driver), and what berth refuses because it does not do it.
#include <string>

#include "logs/go_parse.h"
#include "logs/json_file_writer.h"
#include "logs/log_writer.h"

namespace berth::logs {
namespace {

// Handled by the logging layer for every driver, not by the driver.
bool built_in_option(const std::string& key) { return key == "mode" || key == "max-buffer-size"; }

Result<void> no_unknown_options(std::string_view driver, const LogOptions& options,
                                std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : options) {
    if (built_in_option(key)) continue;
    bool ok = false;
    for (auto k : known) ok |= key == k;
    if (!ok) return fail(Errc::InvalidArgument, "unknown log opt '" + key + "' for " + std::string(driver) + " log driver");
  }
  return {};
}

}  // namespace

Result<JsonFileOptions> parse_json_file_options(const LogOptions& options) {
  TRYV(no_unknown_options(kJsonFile, options,
                          {"max-file", "max-size", "compress", "labels", "labels-regex", "env", "env-regex", "tag"}));
  // The values, in the order Docker's json-file driver reads them.
  int64_t max_size = -1;
  if (auto it = options.find("max-size"); it != options.end()) {
    max_size = TRY(from_human_size(it->second));
    if (max_size <= 0) return fail(Errc::InvalidArgument, "max-size must be a positive number");
  }
  int64_t max_files = 1;
  if (auto it = options.find("max-file"); it != options.end()) {
    max_files = TRY(go_atoi(it->second));
    if (max_files < 1) return fail(Errc::InvalidArgument, "max-file cannot be less than 1");
  }
  if (auto it = options.find("compress"); it != options.end()) {
    bool compress = TRY(go_parse_bool(it->second));
    if (compress && (max_files == 1 || max_size == -1))
      return fail(Errc::InvalidArgument, "compress cannot be true when max-file is less than 2 or max-size is not set");
    if (compress)
      return fail(Errc::Unsupported, "log opt 'compress' of the json-file log driver is not supported by berth: "
                                     "rotated files are kept uncompressed");
  }
  for (const char* key : {"labels", "labels-regex", "env", "env-regex", "tag"})
    if (options.count(key))
      return fail(Errc::Unsupported, std::string("log opt '") + key +
                                         "' of the json-file log driver is not supported by berth: its entries carry "
                                         "no attrs");
  JsonFileOptions o;
  // Without max-size nothing rotates, and max-file has no effect (as in Docker).
  o.max_size = max_size > 0 ? static_cast<uint64_t>(max_size) : 0;
  // More files than this are not a log any more: Docker would keep them, berth caps the count.
  o.max_files = max_files > 100000 ? 100000 : static_cast<int>(max_files);
  return o;
}

Result<void> validate_log_config(std::string_view driver, const LogOptions& options) {
  if (driver == kNone) return {};
  auto mode = options.find("mode");
  std::string m = mode == options.end() ? "" : mode->second;
  if (m != "" && m != "blocking" && m != "non-blocking")
    return fail(Errc::InvalidArgument, "logger: logging mode not supported: " + m);
  if (options.count("max-buffer-size") && m != "non-blocking")
    return fail(Errc::InvalidArgument, "logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  if (driver == kLocal)
    return fail(Errc::Unsupported, "logger: the 'local' log driver is not supported by berth yet (json-file and none are)");
  if (driver != kJsonFile && driver != kCri)
    return fail(Errc::InvalidArgument, "logger: no log driver named '" + std::string(driver) + "' is registered");
  if (m == "non-blocking")
    return fail(Errc::Unsupported, "log opt 'mode=non-blocking' is not supported by berth: the monitor writes the log "
                                   "as the output comes (mode=blocking)");
  if (driver == kCri) return no_unknown_options(kCri, options, {});
  TRYV(parse_json_file_options(options));
  return {};
}

}  // namespace berth::logs
