// The dashboard's server in-process: a fake berthd (a UNIX socket that
// records the request and answers a canned response) behind it, plain HTTP
// on loopback and TLS with a certificate made here.
#include "ui/server.h"

#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "base/unique_fd.h"

namespace berth::ui {
namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/berth-unit-ui.XXXXXX";
  EXPECT_NE(::mkdtemp(tmpl), nullptr);
  return tmpl;
}

// Answers every connection with `answer` after reading the request head.
class FakeBerthd {
 public:
  explicit FakeBerthd(const std::string& path, std::string answer) : path_(path), answer_(std::move(answer)) {
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path.c_str());
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
    EXPECT_EQ(::listen(fd_.get(), 8), 0);
    thread_ = std::thread([this] {
      for (;;) {
        UniqueFd c(::accept(fd_.get(), nullptr, nullptr));
        if (!c) return;
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos) {
          ssize_t n = ::read(c.get(), buf, sizeof buf);
          if (n <= 0) break;
          req.append(buf, static_cast<size_t>(n));
        }
        {
          std::lock_guard lock(mu_);
          requests_.push_back(req);
        }
        (void)!::write(c.get(), answer_.data(), answer_.size());
      }
    });
  }
  ~FakeBerthd() {
    ::shutdown(fd_.get(), SHUT_RDWR);
    thread_.join();
    ::unlink(path_.c_str());
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  std::string path_, answer_;
  UniqueFd fd_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

int port_of(const std::string& base_url) { return std::stoi(base_url.substr(base_url.rfind(':') + 1)); }

// One request over plain TCP; the whole answer (the server closes after it).
std::string http(int port, const std::string& request) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  EXPECT_EQ(::write(fd.get(), request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string status_line(const std::string& resp) { return resp.substr(0, resp.find("\r\n")); }

std::string header(const std::string& resp, const std::string& name) {
  size_t at = resp.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  at += name.size() + 4;
  return resp.substr(at, resp.find("\r\n", at) - at);
}

class UiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // As in berthd (cmd/berthd/main.cc): OpenSSL writes to its sockets with
    // write(), so a peer that left is an EPIPE only when SIGPIPE is ignored.
    ::signal(SIGPIPE, SIG_IGN);
    dir_ = temp_dir();
    upstream_ = std::make_unique<FakeBerthd>(
        dir_ + "/berthd.sock", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]");
    auth_ = std::make_shared<Auth>();
  }
  void TearDown() override {
    server_.reset();
    upstream_.reset();
    std::filesystem::remove_all(dir_);
  }
  void start(UiOptions opts = {}) {
    if (opts.addr.empty()) opts.addr = "127.0.0.1:0";
    opts.upstream = "unix://" + dir_ + "/berthd.sock";
    auto s = UiServer::start(opts, auth_);
    ASSERT_TRUE(s) << s.error().str();
    server_ = std::move(*s);
    port_ = port_of(server_->base_url());
    host_ = "127.0.0.1:" + std::to_string(port_);
  }
  std::string login() {
    auto token = auth_->mint_login_token();
    std::string body = "{\"token\":\"" + *token + "\"}";
    std::string resp = http(port_, "POST /ui/login HTTP/1.1\r\nHost: " + host_ + "\r\nOrigin: http://" + host_ +
                                       "\r\nContent-Type: application/json\r\nContent-Length: " +
                                       std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_EQ(status_line(resp), "HTTP/1.1 200 OK") << resp;
    std::string cookie = header(resp, "Set-Cookie");
    return cookie.substr(0, cookie.find(';'));
  }

  std::string dir_;
  std::unique_ptr<FakeBerthd> upstream_;
  std::shared_ptr<Auth> auth_;
  std::unique_ptr<UiServer> server_;
  int port_ = 0;
  std::string host_;
};

TEST_F(UiServerTest, ThePageIsPublicAndCannotBeFramed) {
  start();
  std::string resp = http(port_, "GET / HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n");
  EXPECT_EQ(status_line(resp), "HTTP/1.1 200 OK");
  EXPECT_NE(header(resp, "Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(header(resp, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(resp.find("<script type=\"module\" src=\"/js/app.js\">"), std::string::npos);
  EXPECT_EQ(status_line(http(port_, "GET /vendor/xterm/xterm.mjs HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n")), "HTTP/1.1 200 OK");
  EXPECT_EQ(status_line(http(port_, "GET /nope.js HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n")), "HTTP/1.1 404 Not Found");
}

TEST_F(UiServerTest, ApiCallsNeedASession) {
  start();
  std::string resp = http(port_, "GET /api/containers/json HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n");
  EXPECT_EQ(status_line(resp), "HTTP/1.1 401 Unauthorized");
  EXPECT_NE(resp.find("berth ui"), std::string::npos);
  EXPECT_EQ(status_line(http(port_, "GET /ui/exec/abc HTTP/1.1\r\nHost: " + host_ + "\r\nOrigin: http://" + host_ +
                                        "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")),
            "HTTP/1.1 401 Unauthorized");
  EXPECT_TRUE(upstream_->requests().empty());
}

TEST_F(UiServerTest, ASessionsCallsAreRelayedWithoutItsCookie) {
  start();
  std::string cookie = login();
  ASSERT_EQ(cookie.rfind("berth_ui_session=", 0), 0u);
  std::string resp = http(port_, "GET /api/containers/json?all=1&filters=%7B%7D HTTP/1.1\r\nHost: " + host_ +
                                     "\r\nCookie: " + cookie + "\r\n\r\n");
  EXPECT_EQ(status_line(resp), "HTTP/1.1 200 OK");
  EXPECT_EQ(header(resp, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(resp.substr(resp.size() - 2), "[]");
  auto reqs = upstream_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].rfind("GET /containers/json?all=1&filters=%7B%7D HTTP/1.1\r\n", 0), 0u) << reqs[0];
  EXPECT_EQ(reqs[0].find("Cookie"), std::string::npos) << "the browser's cookie stays with the dashboard";
}

TEST_F(UiServerTest, StateChangesNeedThisOriginAndAnAllowedCall) {
  start();
  std::string cookie = login();
  std::string base = "Host: " + host_ + "\r\nCookie: " + cookie + "\r\nContent-Length: 0\r\n";
  EXPECT_EQ(status_line(http(port_, "POST /api/containers/web/stop HTTP/1.1\r\n" + base + "\r\n")), "HTTP/1.1 403 Forbidden");
  EXPECT_EQ(status_line(http(port_, "POST /api/containers/web/stop HTTP/1.1\r\n" + base + "Origin: http://evil.example\r\n\r\n")),
            "HTTP/1.1 403 Forbidden");
  EXPECT_EQ(status_line(http(port_, "GET /api/containers/json HTTP/1.1\r\n" + base + "Origin: http://evil.example\r\n\r\n")),
            "HTTP/1.1 403 Forbidden");
  std::string refused = http(port_, "POST /api/containers/create HTTP/1.1\r\n" + base + "Origin: http://" + host_ + "\r\n\r\n");
  EXPECT_EQ(status_line(refused), "HTTP/1.1 403 Forbidden");
  EXPECT_NE(refused.find("does not relay POST /containers/create"), std::string::npos);
  EXPECT_TRUE(upstream_->requests().empty());
  EXPECT_EQ(status_line(http(port_, "POST /api/containers/web/stop HTTP/1.1\r\n" + base + "Origin: http://" + host_ + "\r\n\r\n")),
            "HTTP/1.1 200 OK");
  EXPECT_EQ(upstream_->requests().size(), 1u);
}

TEST_F(UiServerTest, TheTerminalTakesAPlainContainerRefOverAWebSocket) {
  start();
  std::string cookie = login();
  std::string ws = "Host: " + host_ + "\r\nOrigin: http://" + host_ + "\r\nCookie: " + cookie +
                   "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  EXPECT_EQ(status_line(http(port_, "GET /ui/exec/web%3Fx=1 HTTP/1.1\r\n" + ws)), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line(http(port_, "GET /ui/exec/a%2Fb HTTP/1.1\r\n" + ws)), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line(http(port_, "GET /ui/exec/web HTTP/1.1\r\nHost: " + host_ + "\r\nCookie: " + cookie + "\r\n\r\n")),
            "HTTP/1.1 400 Bad Request");
  EXPECT_TRUE(upstream_->requests().empty());
}

TEST_F(UiServerTest, OtherHostNamesAreMisdirected) {
  start();
  std::string cookie = login();
  std::string resp = http(port_, "GET /api/containers/json HTTP/1.1\r\nHost: evil.example:" + std::to_string(port_) +
                                     "\r\nCookie: " + cookie + "\r\n\r\n");
  EXPECT_EQ(status_line(resp), "HTTP/1.1 421 Misdirected Request");
  EXPECT_EQ(status_line(http(port_, "GET / HTTP/1.1\r\nHost: localhost:" + std::to_string(port_) + "\r\n\r\n")), "HTTP/1.1 200 OK");
}

TEST_F(UiServerTest, LogoutEndsTheSession) {
  start();
  std::string cookie = login();
  std::string resp = http(port_, "POST /ui/logout HTTP/1.1\r\nHost: " + host_ + "\r\nOrigin: http://" + host_ +
                                     "\r\nCookie: " + cookie + "\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(status_line(resp), "HTTP/1.1 200 OK");
  EXPECT_NE(header(resp, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(status_line(http(port_, "GET /api/containers/json HTTP/1.1\r\nHost: " + host_ + "\r\nCookie: " + cookie + "\r\n\r\n")),
            "HTTP/1.1 401 Unauthorized");
}

// A connection that never sends its request does not hold stop() up (for
// its 30 s request timeout), with or without TLS.
UniqueFd connect_idle(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  return fd;
}

TEST_F(UiServerTest, StopEndsConnectionsInProgress) {
  start();
  UniqueFd idle = connect_idle(port_);
  // The server has taken it once it answers a request on another connection.
  EXPECT_EQ(status_line(http(port_, "GET / HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n")), "HTTP/1.1 200 OK");
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  char c;
  EXPECT_LE(::read(idle.get(), &c, 1), 0) << "the idle connection was closed";
}

TEST(UiOptions, OtherHostsOnlyOverTls) {
  auto r = validate_options({"0.0.0.0:8443", "", "", ""});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not a loopback address"), std::string::npos);
  EXPECT_NE(r.error().message.find("--ui-tls-cert"), std::string::npos);
  r = validate_options({"127.0.0.1:8443", "/cert.pem", "", ""});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("go together"), std::string::npos);
  EXPECT_TRUE(validate_options({"0.0.0.0:8443", "/cert.pem", "/key.pem", ""}));
  EXPECT_TRUE(validate_options({"127.0.0.1:0", "", "", ""}));
  EXPECT_TRUE(validate_options({"[::1]:8099", "", "", ""}));
  EXPECT_TRUE(validate_options({"localhost:8099", "", "", ""}));
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:99999", "::1:80", "127.0.0.1:x"})
    EXPECT_FALSE(validate_options({bad, "", "", ""})) << bad;
}

// A self-signed certificate for 127.0.0.1 (P-256), written as PEM files.
void make_certificate(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  ASSERT_GT(X509_sign(x, key, EVP_sha256()), 0);
  FILE* f = std::fopen(cert_path.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
}

std::string https(int port, const std::string& request) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd.get());
  std::string out;
  if (SSL_connect(ssl) == 1) {
    SSL_write(ssl, request.data(), static_cast<int>(request.size()));
    char buf[65536];
    for (;;) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return out;
}

TEST_F(UiServerTest, TlsServesThePagesAndSecureCookies) {
  make_certificate(dir_ + "/cert.pem", dir_ + "/key.pem");
  UiOptions opts;
  opts.tls_cert = dir_ + "/cert.pem";
  opts.tls_key = dir_ + "/key.pem";
  start(opts);
  EXPECT_EQ(server_->base_url().rfind("https://127.0.0.1:", 0), 0u);
  std::string page = https(port_, "GET / HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n");
  EXPECT_EQ(status_line(page), "HTTP/1.1 200 OK");
  EXPECT_NE(page.find("berth dashboard"), std::string::npos);
  EXPECT_EQ(status_line(https(port_, "GET /api/containers/json HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n")),
            "HTTP/1.1 401 Unauthorized");
  auto token = auth_->mint_login_token();
  std::string body = "{\"token\":\"" + *token + "\"}";
  std::string resp = https(port_, "POST /ui/login HTTP/1.1\r\nHost: " + host_ + "\r\nOrigin: https://" + host_ +
                                      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(status_line(resp), "HTTP/1.1 200 OK") << resp;
  EXPECT_NE(header(resp, "Set-Cookie").find("; Secure"), std::string::npos);
  std::string cookie = header(resp, "Set-Cookie").substr(0, header(resp, "Set-Cookie").find(';'));
  std::string relayed = https(port_, "GET /api/images/json HTTP/1.1\r\nHost: " + host_ + "\r\nCookie: " + cookie + "\r\n\r\n");
  EXPECT_EQ(status_line(relayed), "HTTP/1.1 200 OK");
  EXPECT_EQ(relayed.substr(relayed.size() - 2), "[]");
  // Plain HTTP on the TLS port gets nowhere.
  EXPECT_EQ(http(port_, "GET / HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n").find("200 OK"), std::string::npos);
  // A client stuck in its handshake does not hold stop() up.
  UniqueFd idle = connect_idle(port_);
  EXPECT_EQ(status_line(https(port_, "GET / HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n")), "HTTP/1.1 200 OK");
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST(UiTls, MismatchedOrMissingFilesAreRefusedAtStart) {
  std::string dir = temp_dir();
  make_certificate(dir + "/a.pem", dir + "/a.key");
  make_certificate(dir + "/b.pem", dir + "/b.key");
  auto auth = std::make_shared<Auth>();
  auto r = UiServer::start({"127.0.0.1:0", dir + "/a.pem", dir + "/b.key", "unix:///nonexistent.sock"}, auth);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("does not match"), std::string::npos) << r.error().message;
  r = UiServer::start({"127.0.0.1:0", dir + "/missing.pem", dir + "/a.key", "unix:///nonexistent.sock"}, auth);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--ui-tls-cert"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace berth::ui
