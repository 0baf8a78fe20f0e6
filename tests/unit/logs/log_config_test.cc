// Docker's rules for --log-driver / --log-opt, with Docker's messages, and
// what berth refuses because it does not do it.
#include <gtest/gtest.h>

#include "logs/go_parse.h"
#include "logs/json_file_writer.h"
#include "logs/log_reader.h"
#include "logs/log_writer.h"

using namespace berth;
using namespace berth::logs;

namespace {

Error invalid(std::string_view driver, const LogOptions& o) {
  auto r = validate_log_config(driver, o);
  EXPECT_FALSE(r) << driver;
  return r ? Error{} : r.error();
}

TEST(GoParse, FromHumanSizeIsDecimal) {
  EXPECT_EQ(from_human_size("10").value(), 10);
  EXPECT_EQ(from_human_size("10b").value(), 10);
  EXPECT_EQ(from_human_size("10k").value(), 10000);
  EXPECT_EQ(from_human_size("10K").value(), 10000);
  EXPECT_EQ(from_human_size("10kb").value(), 10000);
  EXPECT_EQ(from_human_size("10KiB").value(), 10000) << "go-units' FromHumanSize: i changes nothing";
  EXPECT_EQ(from_human_size("10m").value(), 10000000);
  EXPECT_EQ(from_human_size("1.5g").value(), 1500000000);
  EXPECT_EQ(from_human_size("2 MB").value(), 2000000);
  EXPECT_EQ(from_human_size("3t").value(), 3000000000000);
  EXPECT_EQ(from_human_size("1p").value(), 1000000000000000);
  EXPECT_EQ(from_human_size("0").value(), 0);
}

TEST(GoParse, FromHumanSizeErrorsAreGoUnits) {
  EXPECT_EQ(from_human_size("abc").error().message, "invalid size: 'abc'");
  EXPECT_EQ(from_human_size("").error().message, "invalid size: ''");
  EXPECT_EQ(from_human_size("-5").error().message, "invalid size: '-5'");
  EXPECT_EQ(from_human_size("10x").error().message, "invalid suffix: 'x'");
  EXPECT_EQ(from_human_size("10kx").error().message, "invalid suffix: 'kx'");
  EXPECT_EQ(from_human_size("10kbb").error().message, "invalid suffix: 'kbb'");
  EXPECT_EQ(from_human_size("10bb").error().message, "invalid suffix: 'bb'");
  EXPECT_EQ(from_human_size("1.2.3").error().message, "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
}

TEST(GoParse, AtoiAndParseBool) {
  EXPECT_EQ(go_atoi("3").value(), 3);
  EXPECT_EQ(go_atoi("-1").value(), -1);
  EXPECT_EQ(go_atoi("+7").value(), 7);
  EXPECT_EQ(go_atoi("x").error().message, "strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_EQ(go_atoi("").error().message, "strconv.Atoi: parsing \"\": invalid syntax");
  EXPECT_EQ(go_atoi("1.5").error().message, "strconv.Atoi: parsing \"1.5\": invalid syntax");
  EXPECT_EQ(go_atoi("99999999999999999999").error().message,
            "strconv.Atoi: parsing \"99999999999999999999\": value out of range");
  for (auto t : {"1", "t", "T", "TRUE", "true", "True"}) EXPECT_TRUE(go_parse_bool(t).value()) << t;
  for (auto f : {"0", "f", "F", "FALSE", "false", "False"}) EXPECT_FALSE(go_parse_bool(f).value()) << f;
  EXPECT_EQ(go_parse_bool("yes").error().message, "strconv.ParseBool: parsing \"yes\": invalid syntax");
}

TEST(LogConfig, DriversDockerKnowsAndBerthHas) {
  EXPECT_TRUE(validate_log_config("json-file", {}));
  EXPECT_TRUE(validate_log_config("none", {}));
  EXPECT_TRUE(validate_log_config("cri", {}));
  auto e = invalid("syslogx", {});
  EXPECT_EQ(e.code, Errc::InvalidArgument);
  EXPECT_EQ(e.message, "logger: no log driver named 'syslogx' is registered");
  EXPECT_EQ(invalid("journald", {}).message, "logger: no log driver named 'journald' is registered");
  e = invalid("local", {});
  EXPECT_EQ(e.code, Errc::Unsupported);
  EXPECT_NE(e.message.find("'local'"), std::string::npos) << e.message;
}

TEST(LogConfig, NoneIgnoresItsOptionsAsDockerDoes) {
  EXPECT_TRUE(validate_log_config("none", {{"max-size", "garbage"}, {"whatever", "x"}}));
}

TEST(LogConfig, LoggingModeForEveryDriver) {
  EXPECT_TRUE(validate_log_config("json-file", {{"mode", "blocking"}}));
  EXPECT_EQ(invalid("json-file", {{"mode", "fast"}}).message, "logger: logging mode not supported: fast");
  EXPECT_EQ(invalid("nosuch", {{"mode", "fast"}}).message, "logger: logging mode not supported: fast")
      << "Docker checks the mode before the driver";
  EXPECT_EQ(invalid("json-file", {{"max-buffer-size", "4m"}}).message,
            "logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  auto e = invalid("json-file", {{"mode", "non-blocking"}});
  EXPECT_EQ(e.code, Errc::Unsupported);
  EXPECT_NE(e.message.find("mode=non-blocking"), std::string::npos) << e.message;
}

TEST(LogConfig, JsonFileOptionNames) {
  EXPECT_EQ(invalid("json-file", {{"max-sise", "1m"}}).message, "unknown log opt 'max-sise' for json-file log driver");
  EXPECT_EQ(invalid("cri", {{"max-size", "1m"}}).message, "unknown log opt 'max-size' for cri log driver");
  for (const char* key : {"labels", "labels-regex", "env", "env-regex", "tag"}) {
    auto e = invalid("json-file", {{key, "x"}});
    EXPECT_EQ(e.code, Errc::Unsupported) << key;
    EXPECT_NE(e.message.find(std::string("'") + key + "'"), std::string::npos) << e.message;
  }
}

TEST(LogConfig, JsonFileMaxSize) {
  EXPECT_EQ(parse_json_file_options({{"max-size", "10m"}}).value().max_size, 10000000u);
  EXPECT_EQ(parse_json_file_options({{"max-size", "1k"}}).value().max_size, 1000u);
  EXPECT_EQ(parse_json_file_options({}).value().max_size, 0u) << "Docker's default: never rotate";
  EXPECT_EQ(invalid("json-file", {{"max-size", "0"}}).message, "max-size must be a positive number");
  EXPECT_EQ(invalid("json-file", {{"max-size", "ten"}}).message, "invalid size: 'ten'");
  EXPECT_EQ(invalid("json-file", {{"max-size", "10q"}}).message, "invalid suffix: 'q'");
  EXPECT_EQ(invalid("json-file", {{"max-size", "99999999999p"}}).message, "max-size must be a positive number")
      << "too large for int64 is negative, as Go converts it";
}

TEST(LogConfig, JsonFileMaxFile) {
  auto o = parse_json_file_options({{"max-size", "1m"}, {"max-file", "3"}}).value();
  EXPECT_EQ(o.max_files, 3);
  EXPECT_EQ(parse_json_file_options({}).value().max_files, 1);
  EXPECT_EQ(invalid("json-file", {{"max-file", "0"}}).message, "max-file cannot be less than 1");
  EXPECT_EQ(invalid("json-file", {{"max-file", "-2"}}).message, "max-file cannot be less than 1");
  EXPECT_EQ(invalid("json-file", {{"max-file", "three"}}).message, "strconv.Atoi: parsing \"three\": invalid syntax");
  // Docker accepts max-file without max-size; it only takes effect with it.
  o = parse_json_file_options({{"max-file", "5"}}).value();
  EXPECT_EQ(o.max_size, 0u);
}

TEST(LogConfig, JsonFileCompress) {
  EXPECT_TRUE(validate_log_config("json-file", {{"compress", "false"}}));
  EXPECT_EQ(invalid("json-file", {{"compress", "maybe"}}).message, "strconv.ParseBool: parsing \"maybe\": invalid syntax");
  EXPECT_EQ(invalid("json-file", {{"compress", "true"}}).message,
            "compress cannot be true when max-file is less than 2 or max-size is not set");
  EXPECT_EQ(invalid("json-file", {{"compress", "true"}, {"max-size", "1m"}}).message,
            "compress cannot be true when max-file is less than 2 or max-size is not set");
  auto e = invalid("json-file", {{"compress", "true"}, {"max-size", "1m"}, {"max-file", "2"}});
  EXPECT_EQ(e.code, Errc::Unsupported) << "Docker's rules hold, then berth says it does not compress";
  EXPECT_NE(e.message.find("'compress'"), std::string::npos) << e.message;
}

TEST(LogWriters, FactoryByDriverName) {
  EXPECT_TRUE(open_log_writer("none", "", {}));
  auto none = open_log_writer("none", "", {}).value();
  EXPECT_TRUE(none->write(Stream::Stdout, "dropped\n"));
  EXPECT_TRUE(none->flush());
  auto no_path = open_log_writer("json-file", "", {});
  ASSERT_FALSE(no_path);
  EXPECT_EQ(no_path.error().code, Errc::InvalidArgument);
  auto bad = open_log_writer("json-file", "/tmp/x", {{"max-file", "0"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "max-file cannot be less than 1") << "the writer checks what it is given";
  auto unknown = open_log_writer("gelfish", "/tmp/x", {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "logger: no log driver named 'gelfish' is registered");
}

TEST(LogReaders, NoneCannotBeRead) {
  auto r = open_log_reader("none", "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unsupported);
  EXPECT_EQ(r.error().message, "configured logging driver does not support reading");
  EXPECT_TRUE(open_log_reader("json-file", "/nonexistent/log"));
  EXPECT_TRUE(open_log_reader("cri", "/nonexistent/log"));
  std::vector<LogEntry> none;
  auto rd = open_log_reader("json-file", "/nonexistent/log").value();
  EXPECT_TRUE(rd->read({}, [&](const LogEntry& e) {
    none.push_back(e);
    return true;
  }));
  EXPECT_TRUE(none.empty()) << "a missing file is no entries";
}

}  // namespace
