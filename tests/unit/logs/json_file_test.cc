#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "base/unique_fd.h"
#include "base/go_json.h"
#include "base/go_time.h"
#include "logs/json_file_writer.h"
#include "logs/log_reader.h"

using namespace berth;
using namespace berth::logs;
namespace fs = std::filesystem;

namespace {

class JsonLog : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/berth-logs-jsonfile-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/c-json.log";
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  static std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
  }
  std::vector<LogEntry> read_all(const LogReadOptions& o = {}) {
    std::vector<LogEntry> out;
    auto r = read_json_log(path_, o, [&](const LogEntry& e) {
      out.push_back(e);
      return true;
    });
    EXPECT_TRUE(r) << r.error().str();
    return out;
  }
  // Entries with chosen times, one per line, as the writer would make them.
  void write_entries(const std::string& path, const std::vector<std::tuple<std::string, std::string, int64_t>>& es) {
    std::ofstream f(path, std::ios::app);
    for (const auto& [stream, log, ns] : es) {
      std::string line = "{\"log\":";
      go::append_json_string(line, log, go::JsonEscape::JsonLog);
      line += ",\"stream\":\"" + stream + "\",\"time\":\"";
      go::append_rfc3339_nano(line, go::UnixTime::from_ns(ns));
      f << line << "\"}\n";
    }
  }
  std::unique_ptr<JsonFileWriter> open_writer(uint64_t max_size = 0, int max_files = 1) {
    auto w = JsonFileWriter::open(path_, JsonFileOptions{max_size, max_files});
    EXPECT_TRUE(w) << w.error().str();
    return std::move(*w);
  }

  std::string dir_, path_;
};

std::vector<std::string> logs_of(const std::vector<LogEntry>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) out.push_back(e.log);
  return out;
}

}  // namespace

TEST_F(JsonLog, WritesDockersFormatOneEntryPerLine) {
  auto w = open_writer();
  ASSERT_TRUE(w->write(Stream::Stdout, "hello\nworld\n"));
  ASSERT_TRUE(w->write(Stream::Stderr, "oops \"<x>\"\t\n"));
  auto ls = lines(slurp(path_));
  ASSERT_EQ(ls.size(), 3u);
  std::regex shape(R"re(^\{"log":"(.*)","stream":"(stdout|stderr)","time":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z)"\}$)re");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(ls[0], m, shape)) << ls[0];
  EXPECT_EQ(m[1], "hello\\n");
  EXPECT_EQ(m[2], "stdout");
  ASSERT_TRUE(std::regex_match(ls[1], m, shape)) << ls[1];
  EXPECT_EQ(m[1], "world\\n");
  ASSERT_TRUE(std::regex_match(ls[2], m, shape)) << ls[2];
  EXPECT_EQ(m[1], R"(oops \"\u003cx\u003e\"\u0009\n)");
  EXPECT_EQ(m[2], "stderr");
  auto es = read_all();
  ASSERT_EQ(es.size(), 3u);
  EXPECT_EQ(es[2].log, "oops \"<x>\"\t\n");
  EXPECT_EQ(es[2].stream, "stderr");
  EXPECT_GT(es[0].time_ns, 1600000000LL * 1000000000);
}

TEST_F(JsonLog, PartialLinesWaitForTheirNewlinePerStream) {
  auto w = open_writer();
  ASSERT_TRUE(w->write(Stream::Stdout, "par"));
  ASSERT_TRUE(w->write(Stream::Stderr, "err-"));
  EXPECT_EQ(slurp(path_), "");  // nothing complete yet
  ASSERT_TRUE(w->write(Stream::Stdout, "tial\nnext"));
  ASSERT_TRUE(w->write(Stream::Stderr, "line\n"));
  auto es = read_all();
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].log, "partial\n");
  EXPECT_EQ(es[0].stream, "stdout");
  EXPECT_EQ(es[1].log, "err-line\n");
  EXPECT_EQ(es[1].stream, "stderr");
  ASSERT_TRUE(w->flush());  // at exit, the unfinished line is written as it is
  es = read_all();
  ASSERT_EQ(es.size(), 3u);
  EXPECT_EQ(es[2].log, "next");
}

TEST_F(JsonLog, LongLinesSplitEvery16KiB) {
  auto w = open_writer();
  std::string line(40000, 'x');
  line += "\n";
  // In pieces, as a pipe delivers them.
  ASSERT_TRUE(w->write(Stream::Stdout, std::string_view(line).substr(0, 10000)));
  ASSERT_TRUE(w->write(Stream::Stdout, std::string_view(line).substr(10000)));
  auto es = read_all();
  ASSERT_EQ(es.size(), 3u);
  EXPECT_EQ(es[0].log, std::string(16384, 'x'));
  EXPECT_EQ(es[1].log, std::string(16384, 'x'));
  EXPECT_EQ(es[2].log, std::string(40000 - 2 * 16384, 'x') + "\n");
}

TEST_F(JsonLog, RotatesBySizeKeepingMaxFiles) {
  auto w = open_writer(300, 3);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(w->write(Stream::Stdout, "line " + std::to_string(i) + "\n"));
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_TRUE(fs::exists(path_ + ".1"));
  EXPECT_TRUE(fs::exists(path_ + ".2"));
  EXPECT_FALSE(fs::exists(path_ + ".3"));
  for (const auto& p : {path_, path_ + ".1", path_ + ".2"}) EXPECT_LE(fs::file_size(p), 300u) << p;
  auto es = read_all();
  ASSERT_GE(es.size(), 3u);
  // The newest entries survive, in order, ending with the last one written.
  for (size_t i = 0; i < es.size(); ++i)
    EXPECT_EQ(es[i].log, "line " + std::to_string(20 - es.size() + i) + "\n");
}

TEST_F(JsonLog, AHugeMaxFileKeepsEverythingAndShiftsOnlyTheFilesThereAre) {
  // max-file as Docker allows it (any int): rotation must not walk every possible name.
  auto w = open_writer(120, 1000000);
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(w->write(Stream::Stdout, "entry " + std::to_string(i) + "\n"));
  int files = 0;
  while (fs::exists(path_ + "." + std::to_string(files + 1))) ++files;
  EXPECT_GE(files, 3);
  EXPECT_FALSE(fs::exists(path_ + "." + std::to_string(files + 2)));
  auto es = read_all();
  ASSERT_EQ(es.size(), 12u) << "nothing dropped";
  for (size_t i = 0; i < es.size(); ++i) EXPECT_EQ(es[i].log, "entry " + std::to_string(i) + "\n");
}

TEST_F(JsonLog, SingleFileRotationTruncates) {
  auto w = open_writer(200, 1);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->write(Stream::Stdout, "entry " + std::to_string(i) + "\n"));
  EXPECT_FALSE(fs::exists(path_ + ".1"));
  EXPECT_LE(fs::file_size(path_), 200u);
  auto es = read_all();
  ASSERT_FALSE(es.empty());
  EXPECT_EQ(es.back().log, "entry 9\n");
}

TEST_F(JsonLog, AnEntryLargerThanMaxSizeStillGetsWritten) {
  auto w = open_writer(50, 2);
  ASSERT_TRUE(w->write(Stream::Stdout, std::string(100, 'a') + "\n"));
  ASSERT_TRUE(w->write(Stream::Stdout, std::string(100, 'b') + "\n"));
  auto es = read_all();
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[1].log, std::string(100, 'b') + "\n");
}

TEST_F(JsonLog, AppendsToAnExistingLog) {
  {
    auto w = open_writer(0, 1);
    ASSERT_TRUE(w->write(Stream::Stdout, "first\n"));
  }
  auto w = open_writer(0, 1);
  ASSERT_TRUE(w->write(Stream::Stdout, "second\n"));
  EXPECT_EQ(logs_of(read_all()), (std::vector<std::string>{"first\n", "second\n"}));
}

TEST_F(JsonLog, MissingFileIsNoEntries) {
  EXPECT_TRUE(read_all().empty());
}

TEST_F(JsonLog, FiltersByStream) {
  write_entries(path_, {{"stdout", "o1\n", 1}, {"stderr", "e1\n", 2}, {"stdout", "o2\n", 3}});
  LogReadOptions o;
  o.stderr = false;
  EXPECT_EQ(logs_of(read_all(o)), (std::vector<std::string>{"o1\n", "o2\n"}));
  o.stderr = true;
  o.stdout = false;
  EXPECT_EQ(logs_of(read_all(o)), (std::vector<std::string>{"e1\n"}));
}

TEST_F(JsonLog, SinceAndUntil) {
  int64_t s = 1700000000LL * 1000000000;
  write_entries(path_, {{"stdout", "a\n", s}, {"stdout", "b\n", s + 5}, {"stdout", "c\n", s + 10},
                        {"stdout", "d\n", s + 15}});
  LogReadOptions o;
  o.since_ns = s + 5;
  EXPECT_EQ(logs_of(read_all(o)), (std::vector<std::string>{"b\n", "c\n", "d\n"}));
  o.until_ns = s + 10;
  EXPECT_EQ(logs_of(read_all(o)), (std::vector<std::string>{"b\n", "c\n"}));
  o.since_ns.reset();
  o.until_ns = s - 1;
  EXPECT_TRUE(read_all(o).empty());
}

TEST_F(JsonLog, TailAcrossRotatedFiles) {
  write_entries(path_ + ".2", {{"stdout", "1\n", 1}, {"stdout", "2\n", 2}});
  write_entries(path_ + ".1", {{"stdout", "3\n", 3}, {"stderr", "4\n", 4}, {"stdout", "5\n", 5}});
  write_entries(path_, {{"stdout", "6\n", 6}, {"stdout", "7\n", 7}});
  LogReadOptions o;
  o.tail = 2;
  EXPECT_EQ(logs_of(read_all(o)), (std::vector<std::string>{"6\n", "7\n"}));
  o.tail = 4;
  EXPECT_EQ(logs_of(read_all(o)), (std::vector<std::string>{"4\n", "5\n", "6\n", "7\n"}));
  o.tail = 6;
  EXPECT_EQ(logs_of(read_all(o)), (std::vector<std::string>{"2\n", "3\n", "4\n", "5\n", "6\n", "7\n"}));
  o.tail = 100;
  EXPECT_EQ(read_all(o).size(), 7u);
  o.tail = 0;
  EXPECT_TRUE(read_all(o).empty());
  // Tail counts both streams, as Docker does; the stream filter comes after.
  o.tail = 4;
  o.stdout = false;
  EXPECT_EQ(logs_of(read_all(o)), (std::vector<std::string>{"4\n"}));
}

TEST_F(JsonLog, TailOfABigFileSpanningManyBlocks) {
  std::vector<std::tuple<std::string, std::string, int64_t>> es;
  for (int i = 0; i < 20000; ++i) es.emplace_back("stdout", "entry number " + std::to_string(i) + "\n", i);
  write_entries(path_, es);
  ASSERT_GT(fs::file_size(path_), 1u << 20);
  for (int n : {1, 3, 1000, 5000}) {
    LogReadOptions o;
    o.tail = n;
    auto got = read_all(o);
    ASSERT_EQ(got.size(), static_cast<size_t>(n));
    EXPECT_EQ(got.front().log, "entry number " + std::to_string(20000 - n) + "\n");
    EXPECT_EQ(got.back().log, "entry number 19999\n");
  }
}

TEST_F(JsonLog, SkipsDamagedLinesAndAnUnfinishedLastLine) {
  write_entries(path_, {{"stdout", "good1\n", 1}});
  { std::ofstream(path_, std::ios::app) << "{not json\n"; }
  write_entries(path_, {{"stdout", "good2\n", 2}});
  { std::ofstream(path_, std::ios::app) << R"({"log":"half)"; }
  EXPECT_EQ(logs_of(read_all()), (std::vector<std::string>{"good1\n", "good2\n"}));
  LogReadOptions o;
  o.tail = 1;
  EXPECT_EQ(logs_of(read_all(o)), (std::vector<std::string>{"good2\n"}));
}

TEST_F(JsonLog, SinkCanStopTheRead) {
  write_entries(path_, {{"stdout", "a\n", 1}, {"stdout", "b\n", 2}, {"stdout", "c\n", 3}});
  std::vector<std::string> got;
  auto r = read_json_log(path_, {}, [&](const LogEntry& e) {
    got.push_back(e.log);
    return got.size() < 2;
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(got, (std::vector<std::string>{"a\n", "b\n"}));
}

TEST_F(JsonLog, FollowReturnsAtOnceWhenStopFdIsReady) {
  write_entries(path_, {{"stdout", "a\n", 1}});
  UniqueFd stop(::eventfd(1, EFD_CLOEXEC));
  LogReadOptions o;
  o.follow = true;
  o.stop_fds = {stop.get()};
  EXPECT_EQ(logs_of(read_all(o)), (std::vector<std::string>{"a\n"}));
}

// Entries written while following arrive, across a rotation, and the read
// ends once the stop fd is signalled (after what is left is read).
TEST_F(JsonLog, FollowSeesNewEntriesAndRotation) {
  auto w = open_writer(400, 3);
  ASSERT_TRUE(w->write(Stream::Stdout, "before\n"));
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
  std::mutex mu;
  std::condition_variable cv;
  size_t seen = 0;
  std::vector<std::string> got;
  std::thread reader([&] {
    LogReadOptions o;
    o.follow = true;
    o.stop_fds = {stop.get()};
    auto r = read_json_log(path_, o, [&](const LogEntry& e) {
      std::lock_guard lk(mu);
      got.push_back(e.log);
      ++seen;
      cv.notify_all();
      return true;
    });
    EXPECT_TRUE(r) << r.error().str();
  });
  auto wait_for = [&](size_t n) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, std::chrono::seconds(10), [&] { return seen >= n; });
  };
  ASSERT_TRUE(wait_for(1));
  // Enough to rotate several times while the reader follows.
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(w->write(Stream::Stdout, "line " + std::to_string(i) + "\n"));
    // The reader may lag, but not by more files than are kept.
    if (i % 4 == 3) {
      ASSERT_TRUE(wait_for(static_cast<size_t>(i + 2)));
    }
  }
  ASSERT_TRUE(w->write(Stream::Stderr, "last\n"));
  uint64_t one = 1;
  ASSERT_EQ(::write(stop.get(), &one, sizeof one), 8);
  reader.join();
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got.front(), "before\n");
  EXPECT_EQ(got.back(), "last\n");
  // Entries arrive in order, none twice.
  std::vector<std::string> middle(got.begin() + 1, got.end() - 1);
  ASSERT_EQ(middle.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(middle[static_cast<size_t>(i)], "line " + std::to_string(i) + "\n");
}

TEST_F(JsonLog, FollowWithTailStartsAtTheTail) {
  write_entries(path_, {{"stdout", "a\n", 1}, {"stdout", "b\n", 2}, {"stdout", "c\n", 3}});
  UniqueFd stop(::eventfd(1, EFD_CLOEXEC));
  LogReadOptions o;
  o.follow = true;
  o.tail = 1;
  o.stop_fds = {stop.get()};
  EXPECT_EQ(logs_of(read_all(o)), (std::vector<std::string>{"c\n"}));
}
