#include "logs/log_writer.h"

#include "logs/cri_writer.h"
#include "logs/json_file_writer.h"

namespace berth::logs {
namespace {

// --log-driver none: the output only goes to whoever is attached.
class NoneWriter final : public LogWriter {
 public:
  Result<void> write(Stream, std::string_view) override { return {}; }
  Result<void> flush() override { return {}; }
};

}  // namespace

Result<std::unique_ptr<LogWriter>> open_log_writer(std::string_view driver, const std::string& path,
                                                   const LogOptions& options) {
  TRYV(validate_log_config(driver, options));
  if (driver == kNone) return std::unique_ptr<LogWriter>(new NoneWriter);
  if (path.empty())
    return fail(Errc::InvalidArgument, "the " + std::string(driver) + " log driver needs the path of its log file");
  if (driver == kJsonFile) return std::unique_ptr<LogWriter>(TRY(JsonFileWriter::open(path, TRY(parse_json_file_options(options)))));
  if (driver == kCri) return std::unique_ptr<LogWriter>(TRY(CriLogWriter::open(path)));
  return fail(Errc::Internal, "log driver " + std::string(driver) + " passed validation but has no writer");
}

}  // namespace berth::logs
