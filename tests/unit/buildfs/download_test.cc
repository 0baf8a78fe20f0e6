// download_url against a python3 HTTP server on 127.0.0.1 that this test
// starts (port 0; it writes its port to a pipe once it listens).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "buildfs/download.h"
#include "content/digest.h"
#include "fs_fixture.h"

extern char** environ;

using namespace berth;
using namespace berth::buildfs;
using namespace buildfs_test;

namespace {

// Routes: /files/<name> (Last-Modified: 2001-09-09T01:46:40Z), /plain/<name>
// (no Last-Modified), /redirect (302 to /files/a.txt), /loop (redirects to
// itself), /disposition (no name in the path, Content-Disposition names it),
// /nameless/ (neither), /status/<code> (that status, body "nope <code>"),
// /big (4 MiB).
constexpr const char* kServer = R"PY(
import http.server, os, sys
root = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        p = self.path
        if p.startswith("/files/") or p.startswith("/plain/"):
            name = p.split("/", 2)[2]
            try:
                body = open(os.path.join(root, name), "rb").read()
            except OSError:
                return self.send(404, b"no such file\n")
            h = [("Last-Modified", "Sun, 09 Sep 2001 01:46:40 GMT")] if p.startswith("/files/") else []
            return self.send(200, body, h)
        if p == "/redirect": return self.send(302, b"", [("Location", "/files/a.txt")])
        if p == "/loop": return self.send(302, b"", [("Location", "/loop")])
        if p == "/disposition/":
            return self.send(200, b"named by the server", [("Content-Disposition", 'attachment; filename="report 1.txt"')])
        if p == "/disposition-ext/":
            v = "attachment; size=3; filename=\"plain.txt\"; filename*=UTF-8''na%C3%AFve%20file.txt"
            return self.send(200, b"extended", [("Content-Disposition", v)])
        if p == "/nameless/": return self.send(200, b"anonymous")
        if p.startswith("/status/"):
            code = int(p.split("/")[2])
            return self.send(code, ("  nope %d  \n" % code).encode())
        if p == "/big": return self.send(200, b"x" * (4 << 20))
        self.send(404, b"unknown route\n")
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
sys.stdout.write("%d\n" % srv.server_address[1])
sys.stdout.flush()
srv.serve_forever()
)PY";

class HttpServer {
 public:
  explicit HttpServer(const std::string& root) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    const char* argv[] = {"python3", "-c", kServer, root.c_str(), nullptr};
    int rc = posix_spawnp(&pid_, "python3", &fa, nullptr, const_cast<char* const*>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (rc != 0) {
      pid_ = -1;
      ::close(fds[0]);
      return;
    }
    // The port line, written once the socket listens: nothing to wait for but this read.
    std::string line;
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(fds[0]);
    port_ = std::atoi(line.c_str());
  }
  ~HttpServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// One server for the suite: python3 takes its time to start on a busy machine.
class DownloadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    served_ = new TempDir("dl-served");
    put(*served_ / "a.txt", "hello from the server\n");
    put(*served_ / "archive.tar.gz", tar_of({layer_test::file("x", "y")}, Filter::Gzip));
    server_ = new HttpServer(served_->path());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete served_;
  }
  void SetUp() override { ASSERT_GT(server.port(), 0) << "python3 http.server did not start"; }

  static TempDir* served_;
  static HttpServer* server_;
  TempDir& served = *served_;
  HttpServer& server = *server_;
  TempDir out{"dl-out"};
};

TempDir* DownloadTest::served_ = nullptr;
HttpServer* DownloadTest::server_ = nullptr;

TEST_F(DownloadTest, SavesTheFileUnderTheURLsLastElement) {
  auto d = download_url(server.url("/files/a.txt"), out.path());
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->name, "a.txt");
  EXPECT_EQ(d->path, out / "a.txt");
  EXPECT_EQ(slurp(d->path), "hello from the server\n");
  EXPECT_EQ(d->size, 22u);
  EXPECT_EQ(d->digest, content::sha256("hello from the server\n").str());
  ASSERT_TRUE(d->mtime);
  EXPECT_EQ(*d->mtime, 1000000000);
  auto st = lstat_of(d->path);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_FALSE(exists(out / ".berth-download.partial"));
}

TEST_F(DownloadTest, WithoutLastModifiedTheTimeIsTheEpoch) {
  auto d = download_url(server.url("/plain/a.txt"), out.path());
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_FALSE(d->mtime);
  EXPECT_EQ(lstat_of(d->path).st_mtim.tv_sec, 0);
}

TEST_F(DownloadTest, AnArchiveIsNotExtracted) {
  auto d = download_url(server.url("/files/archive.tar.gz"), out.path());
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->name, "archive.tar.gz");
  EXPECT_EQ(slurp(d->path), slurp(served / "archive.tar.gz"));
}

TEST_F(DownloadTest, FollowsRedirectsButNotForever) {
  auto d = download_url(server.url("/redirect"), out.path());
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->name, "redirect");  // Docker names it after the URL asked for
  EXPECT_EQ(slurp(d->path), "hello from the server\n");
  auto loop = download_url(server.url("/loop"), out.path());
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().message, "Get \"" + server.url("/loop") + "\": stopped after 10 redirects");
}

TEST_F(DownloadTest, ContentDispositionNamesAPathWithoutOne) {
  auto d = download_url(server.url("/disposition/"), out.path());
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->name, "report 1.txt");
  EXPECT_EQ(slurp(out / "report 1.txt"), "named by the server");
  d = download_url(server.url("/disposition-ext/"), out.path());
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->name, "na\u00efve file.txt");  // filename* wins over filename
}

TEST_F(DownloadTest, NoNameAtAllIsUnnamed) {
  auto d = download_url(server.url("/nameless/"), out.path());
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->name, "");  // dest must name the file then
  EXPECT_EQ(d->path, out / "__unnamed__");
  EXPECT_EQ(slurp(d->path), "anonymous");
}

TEST_F(DownloadTest, AFailedStatusIsDockersError) {
  auto d = download_url(server.url("/status/404"), out.path());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::NotFound);
  EXPECT_EQ(d.error().message, "failed to GET " + server.url("/status/404") + " with status 404 Not Found: nope 404");
  d = download_url(server.url("/status/500"), out.path());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::Internal);
  EXPECT_EQ(d.error().message,
            "failed to GET " + server.url("/status/500") + " with status 500 Internal Server Error: nope 500");
  d = download_url(server.url("/status/403"), out.path());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::PermissionDenied);
  EXPECT_TRUE(layer_test::dir_is_empty(out.path()));  // nothing left behind
}

TEST_F(DownloadTest, ProgressIsReportedAndCanCancel) {
  uint64_t last = 0;
  std::optional<uint64_t> total;
  auto d = download_url(server.url("/big"), out.path(), [&](uint64_t done, std::optional<uint64_t> t) {
    last = done;
    total = t;
    return true;
  });
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(last, 4u << 20);
  EXPECT_EQ(total, std::optional<uint64_t>(4u << 20));
  TempDir out2("dl-out2");
  d = download_url(server.url("/big"), out2.path(), [](uint64_t done, std::optional<uint64_t>) { return done == 0; });
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::Unavailable);
  EXPECT_EQ(d.error().message, "download of " + server.url("/big") + " cancelled");
  EXPECT_TRUE(layer_test::dir_is_empty(out2.path()));
}

TEST_F(DownloadTest, ARefusedConnectionReadsAsGo) {
  // A port bound but not listening refuses connections for as long as it is held.
  UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string port = std::to_string(ntohs(addr.sin_port));
  std::string url = "http://127.0.0.1:" + port + "/x";
  auto d = download_url(url, out.path());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::Unavailable);
  EXPECT_EQ(d.error().message, "Get \"" + url + "\": dial tcp 127.0.0.1:" + port + ": connect: connection refused");
}

TEST(DownloadUrlTest, OnlyHttpAndHttps) {
  TempDir out("dl-out");
  auto d = download_url("ftp://127.0.0.1/x", out.path());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::InvalidArgument);
  d = download_url("file:///etc/passwd", out.path());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::InvalidArgument);
}

}  // namespace
