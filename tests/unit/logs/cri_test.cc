// The kubelet's log format, line by line, and reading it back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "logs/cri_writer.h"
#include "logs/log_reader.h"

using namespace berth;
using namespace berth::logs;
namespace fs = std::filesystem;

namespace {

class Cri : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/berth-logs-cri-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/0.log";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<CriLogWriter> open(size_t max_line = CriLogWriter::kDefaultMaxLine) {
    auto w = CriLogWriter::open(path_, max_line);
    EXPECT_TRUE(w) << w.error().str();
    return std::move(*w);
  }

  struct Line {
    std::string time, stream, tag, content;
  };
  // Every line of the file, checked against the format as the kubelet parses it.
  std::vector<Line> lines() {
    std::ifstream f(path_);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string text = ss.str();
    EXPECT_TRUE(text.empty() || text.back() == '\n') << "every line ends in a newline";
    std::vector<Line> out;
    std::regex shape(R"re(^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z) (stdout|stderr) ([FP]) ([\s\S]*)$)re");
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) {
      std::smatch m;
      EXPECT_TRUE(std::regex_match(l, m, shape)) << l;
      if (m.size() == 6) out.push_back({m[1], m[3], m[4], m[5]});
    }
    return out;
  }

  std::vector<LogEntry> read_all(const LogReadOptions& o = {}) {
    std::vector<LogEntry> out;
    auto r = read_cri_log(path_, o, [&](const LogEntry& e) {
      out.push_back(e);
      return true;
    });
    EXPECT_TRUE(r) << r.error().str();
    return out;
  }

  std::string dir_, path_;
};

TEST_F(Cri, OneLinePerLineTaggedFull) {
  auto w = open();
  ASSERT_TRUE(w->write(Stream::Stdout, "hello\nworld\n"));
  ASSERT_TRUE(w->write(Stream::Stderr, "oops\n"));
  auto ls = lines();
  ASSERT_EQ(ls.size(), 3u);
  EXPECT_EQ(ls[0].stream, "stdout");
  EXPECT_EQ(ls[0].tag, "F");
  EXPECT_EQ(ls[0].content, "hello");
  EXPECT_EQ(ls[1].content, "world");
  EXPECT_EQ(ls[2].stream, "stderr");
  EXPECT_EQ(ls[2].tag, "F");
  EXPECT_EQ(ls[2].content, "oops");
}

TEST_F(Cri, EmptyLinesAndCarriageReturns) {
  auto w = open();
  // A terminal's "\r\n" ends a line as "\n" does; a lone "\r" is content.
  ASSERT_TRUE(w->write(Stream::Stdout, "\nwith cr\r\nmid\rdle\n"));
  auto ls = lines();
  ASSERT_EQ(ls.size(), 3u);
  EXPECT_EQ(ls[0].content, "");
  EXPECT_EQ(ls[0].tag, "F");
  EXPECT_EQ(ls[1].content, "with cr");
  EXPECT_EQ(ls[2].content, "mid\rdle");
}

TEST_F(Cri, PiecesOfALineWaitForItsNewlinePerStream) {
  auto w = open();
  ASSERT_TRUE(w->write(Stream::Stdout, "par"));
  ASSERT_TRUE(w->write(Stream::Stderr, "err-"));
  EXPECT_TRUE(lines().empty());
  ASSERT_TRUE(w->write(Stream::Stdout, "tial\nnext"));
  ASSERT_TRUE(w->write(Stream::Stderr, "line\n"));
  auto ls = lines();
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_EQ(ls[0].content, "partial");
  EXPECT_EQ(ls[0].stream, "stdout");
  EXPECT_EQ(ls[1].content, "err-line");
  EXPECT_EQ(ls[1].stream, "stderr");
}

TEST_F(Cri, OutputEndingWithoutNewlineIsAPartialLineAtFlush) {
  auto w = open();
  ASSERT_TRUE(w->write(Stream::Stdout, "done\nno newline"));
  ASSERT_TRUE(w->flush());
  auto ls = lines();
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_EQ(ls[1].tag, "P");
  EXPECT_EQ(ls[1].content, "no newline");
  ASSERT_TRUE(w->flush());
  EXPECT_EQ(lines().size(), 2u) << "nothing left to flush";
}

TEST_F(Cri, LongLinesAreCutIntoPartsEndingInAFullOne) {
  auto w = open(10);
  ASSERT_TRUE(w->write(Stream::Stdout, "0123456789abcdefghijKLM\n"));
  // Exactly max_line bytes is one full line (containerd cuts only beyond it).
  ASSERT_TRUE(w->write(Stream::Stdout, "0123456789\n"));
  // Cut across writes.
  ASSERT_TRUE(w->write(Stream::Stdout, "01234"));
  ASSERT_TRUE(w->write(Stream::Stdout, "56789xy"));
  ASSERT_TRUE(w->write(Stream::Stdout, "z\n"));
  auto ls = lines();
  ASSERT_EQ(ls.size(), 6u);
  EXPECT_EQ(ls[0].tag + ls[0].content, "P0123456789");
  EXPECT_EQ(ls[1].tag + ls[1].content, "Pabcdefghij");
  EXPECT_EQ(ls[2].tag + ls[2].content, "FKLM");
  EXPECT_EQ(ls[3].tag + ls[3].content, "F0123456789");
  EXPECT_EQ(ls[4].tag + ls[4].content, "P0123456789");
  EXPECT_EQ(ls[5].tag + ls[5].content, "Fxyz");
}

TEST_F(Cri, AppendsToAnExistingFile) {
  { ASSERT_TRUE(open()->write(Stream::Stdout, "first\n")); }
  ASSERT_TRUE(open()->write(Stream::Stdout, "second\n"));
  auto ls = lines();
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_EQ(ls[0].content, "first");
  EXPECT_EQ(ls[1].content, "second");
}

TEST_F(Cri, ReaderGivesFullLinesWithNewlineAndPartsWithout) {
  auto w = open(4);
  ASSERT_TRUE(w->write(Stream::Stdout, "abcdef\n"));
  ASSERT_TRUE(w->write(Stream::Stderr, "err\n"));
  ASSERT_TRUE(w->write(Stream::Stdout, "tail"));
  ASSERT_TRUE(w->flush());
  auto es = read_all();
  ASSERT_EQ(es.size(), 4u);
  EXPECT_EQ(es[0].log, "abcd");
  EXPECT_EQ(es[1].log, "ef\n");
  EXPECT_EQ(es[2].log, "err\n");
  EXPECT_EQ(es[2].stream, "stderr");
  EXPECT_EQ(es[3].log, "tail");
  EXPECT_GT(es[0].time_ns, 1600000000LL * 1000000000);
  LogReadOptions only_err;
  only_err.stdout = false;
  EXPECT_EQ(read_all(only_err).size(), 1u);
  LogReadOptions tail;
  tail.tail = 1;
  auto last = read_all(tail);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].log, "tail");
}

TEST_F(Cri, ReaderSkipsLinesThatAreNotTheFormat) {
  std::ofstream(path_) << "garbage\n"
                       << "2016-10-06T00:17:09.669794202Z stdout F hello\n"
                       << "2016-10-06T00:17:09Z stdin F not a stream\n"
                       << "2016-10-06T00:17:09Z stdout X bad tag\n"
                       << "not-a-time stdout F x\n"
                       << "2016-10-06T00:17:10Z stderr F\n";
  auto es = read_all();
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].log, "hello\n");
  EXPECT_EQ(es[0].time, "2016-10-06T00:17:09.669794202Z");
  EXPECT_EQ(es[0].time_ns, 1475713029669794202LL);
  EXPECT_EQ(es[1].log, "\n") << "an empty full line";
}

}  // namespace
