// Credential helpers: the protocol client (credential_helper.h), which store a
// registry's credentials go to (credentials.h), and login/logout/pull through
// them. The helpers are shell scripts written into a temp dir put on PATH.
#include "cli/credential_helper.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "cli/app.h"
#include "cli/credentials.h"
#include "run_cli.h"

namespace berth::cli {
namespace {

using testing::Outcome;

// A helper keeping each server's credentials in a file under $0.store (named by
// the base64 of its URL) and noting each get/erase, with its URL, in $0.calls.
constexpr char kFileHelper[] = R"sh(#!/bin/sh
store="$0.store"
mkdir -p "$store"
input=$(cat)
name() { printf %s "$1" | base64 -w0 | tr '/+=' '_.-'; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
case $1 in
  get|erase) echo "$1 $input" >>"$0.calls" ;;
esac
case $1 in
  get)
    [ -f "$store/$(name "$input")" ] || { echo "credentials not found in native keychain"; exit 1; }
    cat "$store/$(name "$input")" ;;
  store)
    printf %s "$input" >"$store/$(name "$(printf %s "$input" | field ServerURL)")" ;;
  erase)
    rm "$store/$(name "$input")" 2>/dev/null || { echo "credentials not found in native keychain"; exit 1; } ;;
  list)
    printf '{'; sep=''
    for f in "$store"/*; do
      [ -f "$f" ] || continue
      printf '%s"%s":"%s"' "$sep" "$(field ServerURL <"$f")" "$(field Username <"$f")"; sep=,
    done
    echo '}' ;;
  *) echo "unknown action $1"; exit 1 ;;
esac
)sh";

class CredentialHelpers : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-cred-helpers-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const char* path = ::getenv("PATH");
    saved_path_ = path ? path : "/usr/bin:/bin";
    ::setenv("PATH", (dir_ + ":" + saved_path_).c_str(), 1);
    ::setenv("DOCKER_CONFIG", (dir_ + "/config").c_str(), 1);
  }
  void TearDown() override {
    ::setenv("PATH", saved_path_.c_str(), 1);
    ::unsetenv("DOCKER_CONFIG");
    std::filesystem::remove_all(dir_);
  }

  // docker-credential-NAME with the given script (the file helper by default).
  void helper(const std::string& name, const std::string& script = kFileHelper, mode_t mode = 0755) {
    std::string path = dir_ + "/docker-credential-" + name;
    std::ofstream(path) << script;
    ::chmod(path.c_str(), mode);
  }
  void config(const std::string& json) {
    std::filesystem::create_directories(dir_ + "/config");
    std::ofstream(dir_ + "/config/config.json") << json;
  }
  std::string read(const std::string& rel) {
    std::ifstream f(dir_ + "/" + rel);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  // What the file helper NAME keeps, server URL -> username.
  std::map<std::string, std::string> kept(const std::string& name) { return CredentialHelper(name).list().value(); }
  // X-Registry-Auth decoded.
  nlohmann::json auth_header(const std::string& domain) {
    auto header = registry_auth_header(domain);
    EXPECT_TRUE(header) << header.error().str();
    return nlohmann::json::parse(base64::decode(header.value_or("")).value_or("null"));
  }

  std::string dir_, saved_path_;
};

TEST_F(CredentialHelpers, StoreGetListErase) {
  helper("file");
  CredentialHelper h("file");
  EXPECT_EQ(h.program(), "docker-credential-file");
  EXPECT_EQ(h.get("127.0.0.1:5000").value(), std::nullopt) << "nothing stored yet";
  ASSERT_TRUE(h.store({"127.0.0.1:5000", "me", "s3cret word"}));
  ASSERT_TRUE(h.store({"https://index.docker.io/v1/", "hub", "x"}));
  auto got = h.get("127.0.0.1:5000").value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->server_url, "127.0.0.1:5000");
  EXPECT_EQ(got->username, "me");
  EXPECT_EQ(got->secret, "s3cret word");
  EXPECT_EQ(h.list().value(),
            (std::map<std::string, std::string>{{"127.0.0.1:5000", "me"}, {"https://index.docker.io/v1/", "hub"}}));
  ASSERT_TRUE(h.erase("127.0.0.1:5000"));
  EXPECT_EQ(h.get("127.0.0.1:5000").value(), std::nullopt);
  auto again = h.erase("127.0.0.1:5000");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().str(),
            "docker-credential-file: error erasing credentials - err: exit status 1, "
            "out: `credentials not found in native keychain`");
  // The URL alone on stdin, as the docker CLI sends it.
  EXPECT_EQ(read("docker-credential-file.calls"),
            "get 127.0.0.1:5000\nget 127.0.0.1:5000\nerase 127.0.0.1:5000\nget 127.0.0.1:5000\nerase 127.0.0.1:5000\n");
}

TEST_F(CredentialHelpers, AMissingOrNonExecutableHelperInDockersWords) {
  auto r = CredentialHelper("nosuch").get("127.0.0.1:5000");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().str(),
            "error getting credentials - err: exec: \"docker-credential-nosuch\": executable file not found in $PATH, "
            "out: ``");
  helper("noexec", kFileHelper, 0644);
  auto s = CredentialHelper("noexec").store({"h", "u", "p"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().str(),
            "error storing credentials - err: exec: \"docker-credential-noexec\": executable file not found in $PATH, "
            "out: ``");
}

TEST_F(CredentialHelpers, AFailingHelperIsNamedWithWhatItSaid) {
  helper("locked", "#!/bin/sh\necho 'the keyring is locked'\nexit 3\n");
  auto r = CredentialHelper("locked").get("127.0.0.1:5000");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().str(),
            "docker-credential-locked: error getting credentials - err: exit status 3, out: `the keyring is locked`");
  helper("crash", "#!/bin/sh\nkill -SEGV $$\n");
  auto c = CredentialHelper("crash").list();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().str(), "docker-credential-crash: error listing credentials - err: signal: segmentation fault, out: ``");
}

TEST_F(CredentialHelpers, AnAnswerThatIsNotJsonKeepsItsSecret) {
  helper("garbled", "#!/bin/sh\necho 'user=me password=hunter2'\n");
  auto r = CredentialHelper("garbled").get("127.0.0.1:5000");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().str().find("docker-credential-garbled: error getting credentials"), std::string::npos);
  EXPECT_EQ(r.error().str().find("hunter2"), std::string::npos) << r.error().str();
}

TEST_F(CredentialHelpers, AHelperThatHangsIsKilledAtTheTimeout) {
  helper("hung", "#!/bin/sh\nexec sleep 600\n");
  auto start = std::chrono::steady_clock::now();
  auto r = CredentialHelper("hung", std::chrono::milliseconds(300)).get("127.0.0.1:5000");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().str(),
            "docker-credential-hung: error getting credentials - err: no answer within 300ms (killed), out: ``");
  // Its stdout closed is not the end of it: it is still killed at the timeout.
  helper("mute", "#!/bin/sh\nexec >/dev/null\nexec sleep 600\n");
  auto e = CredentialHelper("mute", std::chrono::milliseconds(300)).erase("127.0.0.1:5000");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().str(),
            "docker-credential-mute: error erasing credentials - err: no answer within 300ms (killed), out: ``");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST_F(CredentialHelpers, CredHelpersBeatCredsStore) {
  helper("default");
  helper("special");
  config(R"({"credsStore":"default","credHelpers":{"127.0.0.1:5000":"special","https://other:6000":"special"},"psFormat":"x"})");
  EXPECT_EQ(credential_helper_name(read_docker_config().value(), "127.0.0.1:5000"), "special");
  EXPECT_EQ(credential_helper_name(read_docker_config().value(), "other:6000"), "special") << "a URL names its host";
  EXPECT_EQ(credential_helper_name(read_docker_config().value(), "third:7000"), "default");

  EXPECT_EQ(store_credentials("127.0.0.1:5000", "me", "pw5000", "").value(), true);
  EXPECT_EQ(store_credentials("third:7000", "you", "pw7000", "").value(), true);
  EXPECT_EQ(kept("special"), (std::map<std::string, std::string>{{"127.0.0.1:5000", "me"}}));
  EXPECT_EQ(kept("default"), (std::map<std::string, std::string>{{"third:7000", "you"}}));

  // config.json: an empty entry per registry (as the docker CLI writes it), no secret, the rest kept.
  std::string text = read("config/config.json");
  auto written = nlohmann::json::parse(text);
  EXPECT_EQ(written["auths"], nlohmann::json::parse(R"({"127.0.0.1:5000":{},"third:7000":{}})"));
  EXPECT_EQ(written["psFormat"], "x");
  EXPECT_EQ(text.find("pw5000"), std::string::npos) << text;
  EXPECT_EQ(text.find(base64::encode("me:pw5000")), std::string::npos) << text;

  EXPECT_EQ(auth_header("127.0.0.1:5000"),
            nlohmann::json::parse(R"({"username":"me","password":"pw5000","serveraddress":"127.0.0.1:5000"})"));
  EXPECT_EQ(auth_header("third:7000"),
            nlohmann::json::parse(R"({"username":"you","password":"pw7000","serveraddress":"third:7000"})"));
}

TEST_F(CredentialHelpers, DockerHubsKeyAndIdentityTokens) {
  helper("hub");
  config(R"({"credHelpers":{"docker.io":"hub"}})");
  ASSERT_TRUE(store_credentials(kDockerHubAuthKey, "me", "unused", "refresh-token"));
  auto kept_hub = CredentialHelper("hub").get(kDockerHubAuthKey).value();
  ASSERT_TRUE(kept_hub);
  EXPECT_EQ(kept_hub->username, "<token>");
  EXPECT_EQ(kept_hub->secret, "refresh-token");
  EXPECT_EQ(auth_header("docker.io"),
            nlohmann::json::parse(R"({"identitytoken":"refresh-token","serveraddress":"https://index.docker.io/v1/"})"));
  EXPECT_EQ(read("docker-credential-hub.calls"), "get https://index.docker.io/v1/\nget https://index.docker.io/v1/\n");
}

TEST_F(CredentialHelpers, NothingInTheHelperIsNoCredentialsEvenWithAnOldFileEntry) {
  helper("empty");
  config(R"({"credsStore":"empty","auths":{"127.0.0.1:5000":{"auth":"bWU6b2xk"}}})");
  EXPECT_EQ(auth_header("127.0.0.1:5000"), nlohmann::json::object());
  config(R"({"auths":{"http://127.0.0.1:5000/":{"auth":"bWU6b2xk"}}})");
  EXPECT_EQ(auth_header("127.0.0.1:5000"),
            nlohmann::json::parse(R"({"auth":"bWU6b2xk","serveraddress":"http://127.0.0.1:5000/"})"))
      << "without a helper, config.json's own entry";
}

TEST_F(CredentialHelpers, WithoutAHelperConfigJsonKeepsThem) {
  EXPECT_EQ(store_credentials("127.0.0.1:5000", "me", "pw", "").value(), false);
  EXPECT_EQ(nlohmann::json::parse(read("config/config.json"))["auths"]["127.0.0.1:5000"]["auth"],
            base64::encode("me:pw"));
}

Outcome berth(std::vector<std::string> args) { return testing::run_cli(main, std::move(args)); }

TEST_F(CredentialHelpers, LogoutErasesThroughTheHelper) {
  helper("file");
  config(R"({"credsStore":"file"})");
  ASSERT_TRUE(store_credentials("127.0.0.1:5000", "me", "pw", ""));
  Outcome r = berth({"logout", "127.0.0.1:5000"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "Removing login credentials for 127.0.0.1:5000\n");
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(kept("file").empty());
  EXPECT_EQ(nlohmann::json::parse(read("config/config.json"))["auths"], nlohmann::json::object());
  r = berth({"logout", "127.0.0.1:5000"});
  EXPECT_EQ(r.out, "Not logged in to 127.0.0.1:5000\n");
}

TEST_F(CredentialHelpers, LogoutWarnsWhenTheHelperCannotErase) {
  config(R"({"credsStore":"gone","auths":{"127.0.0.1:5000":{}}})");
  Outcome r = berth({"logout", "127.0.0.1:5000"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err,
            "WARNING: could not erase credentials:\n127.0.0.1:5000: error erasing credentials - err: exec: "
            "\"docker-credential-gone\": executable file not found in $PATH, out: ``\n");
  EXPECT_TRUE(nlohmann::json::parse(read("config/config.json"))["auths"].contains("127.0.0.1:5000"))
      << "the entry stays, as with the docker CLI";
}

TEST_F(CredentialHelpers, PullSaysWhichHelperFailedBeforeAskingTheDaemon) {
  config(R"({"credHelpers":{"127.0.0.1:5000":"gone"}})");
  Outcome r = berth({"-H", "unix:///nonexistent/berth.sock", "pull", "127.0.0.1:5000/test/busybox:v1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "error getting credentials - err: exec: \"docker-credential-gone\": executable file not found in $PATH, "
            "out: ``\n");
  r = berth({"-H", "unix:///nonexistent/berth.sock", "push", "127.0.0.1:5000/test/busybox:v1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("\"docker-credential-gone\": executable file not found"), std::string::npos) << r.err;
  // Another registry has no helper: the daemon is asked (and is not there).
  r = berth({"-H", "unix:///nonexistent/berth.sock", "pull", "127.0.0.1:6000/test/busybox:v1"});
  EXPECT_NE(r.err.find("Cannot connect to the berth daemon"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace berth::cli
