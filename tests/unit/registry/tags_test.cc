// RepositoryClient::tags against a small HTTP server on 127.0.0.1 that pages
// its answers as the Distribution spec says (Link: <...>; rel="next"), which
// Debian's docker-registry 2.8 does not do (it ignores ?n=).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "registry/client.h"

using namespace berth;

namespace {

struct Answer {
  int status = 200;
  std::vector<std::string> headers;
  std::string body;
};

// One request per connection ("Connection: close"); the handler gets the request target.
class PagingServer {
 public:
  explicit PagingServer(std::function<Answer(const std::string& target)> handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~PagingServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> targets() {
    std::lock_guard lk(mu_);
    return targets_;
  }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      auto sp1 = req.find(' '), sp2 = req.find(' ', sp1 + 1);
      std::string target = sp1 == std::string::npos ? "" : req.substr(sp1 + 1, sp2 - sp1 - 1);
      {
        std::lock_guard lk(mu_);
        targets_.push_back(target);
      }
      Answer a = handler_(target);
      std::string resp = "HTTP/1.1 " + std::to_string(a.status) + " X\r\nConnection: close\r\nContent-Type: application/json\r\n";
      for (const auto& h : a.headers) resp += h + "\r\n";
      resp += "Content-Length: " + std::to_string(a.body.size()) + "\r\n\r\n" + a.body;
      for (size_t at = 0; at < resp.size();) {
        ssize_t n = ::write(c, resp.data() + at, resp.size() - at);
        if (n <= 0) break;
        at += static_cast<size_t>(n);
      }
      ::close(c);
    }
  }

  std::function<Answer(const std::string&)> handler_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> targets_;
};

registry::RepositoryClient client_for(registry::Http& http, const PagingServer& s) {
  registry::Endpoint e;
  e.scheme = "http";
  e.host = s.host();
  return registry::RepositoryClient(http, {e}, s.host(), "a/b", {});
}

TEST(Tags, FollowsEveryNextPage) {
  // Three pages of two; the middle page's Link also names a previous page (first), and
  // the last page's next link is absolute.
  std::string host;
  PagingServer s([&](const std::string& t) -> Answer {
    if (t == "/v2/a/b/tags/list?n=2")
      return {200, {"Link: </v2/a/b/tags/list?last=b&n=2>; rel=\"next\""}, R"({"name":"a/b","tags":["a","b"]})"};
    if (t == "/v2/a/b/tags/list?last=b&n=2")
      return {200,
              {"Link: </v2/a/b/tags/list?n=2>; rel=\"prev\", <http://" + host + "/v2/a/b/tags/list?last=d&n=2>; rel=\"next\""},
              R"({"name":"a/b","tags":["c","d"]})"};
    if (t == "/v2/a/b/tags/list?last=d&n=2") return {200, {}, R"({"name":"a/b","tags":["e"]})"};
    return {404, {}, R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})"};
  });
  host = s.host();
  registry::Http http;
  auto c = client_for(http, s);
  auto tags = c.tags(2);
  ASSERT_TRUE(tags) << tags.error().str();
  EXPECT_EQ(*tags, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(s.targets().size(), 3u);
}

TEST(Tags, OnePageWithoutALinkAndNoTagsAtAll) {
  PagingServer s([](const std::string& t) -> Answer {
    if (t == "/v2/a/b/tags/list") return {200, {}, R"({"name":"a/b","tags":null})"};
    return {404, {}, ""};
  });
  registry::Http http;
  auto c = client_for(http, s);
  auto tags = c.tags();
  ASSERT_TRUE(tags) << tags.error().str();
  EXPECT_TRUE(tags->empty());
}

TEST(Tags, PagesGoingRoundInCirclesAreRefused) {
  PagingServer s([](const std::string&) -> Answer {
    return {200, {"Link: </v2/a/b/tags/list>; rel=\"next\""}, R"({"tags":["x"]})"};
  });
  registry::Http http;
  auto c = client_for(http, s);
  auto tags = c.tags();
  ASSERT_FALSE(tags);
  EXPECT_NE(tags.error().message.find("go round in circles"), std::string::npos) << tags.error().str();
}

TEST(Tags, AnUnknownRepositoryIsNotFoundInTheRegistrysWords) {
  PagingServer s([](const std::string&) -> Answer {
    return {404, {}, R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})"};
  });
  registry::Http http;
  auto c = client_for(http, s);
  auto tags = c.tags();
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().code, Errc::NotFound);
  EXPECT_EQ(tags.error().message,
            "repository " + s.host() + "/a/b not found: name unknown: repository name not known to registry");
}

}  // namespace
