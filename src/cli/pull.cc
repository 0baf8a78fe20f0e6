#include "cli/pull.h"

#include "base/strings.h"
#include "cli/credentials.h"
#include "cli/progress_display.h"
#include "cli/stream.h"

namespace berth::cli {

Result<PullTarget> pull_target(const std::string& reference) {
  if (reference.empty()) return fail(Errc::InvalidArgument, "invalid reference format");
  PullTarget t;
  std::string rest = reference;
  if (auto at = rest.find('@'); at != std::string::npos) {
    t.tag = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (auto colon = rest.rfind(':'); colon != std::string::npos && rest.find('/', colon) == std::string::npos)
      rest = rest.substr(0, colon);  // name:tag@digest pulls the digest, as docker
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
    t.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return fail(Errc::InvalidArgument, "invalid reference format");
  if (t.tag.empty()) {
    t.tag = "latest";
    t.defaulted = true;
  }
  t.name = rest;
  auto slash = rest.find('/');
  std::string first = slash == std::string::npos ? "" : rest.substr(0, slash);
  bool has_domain = !first.empty() && (first.find_first_of(".:") != std::string::npos || first == "localhost" ||
                                       first != ascii_lower(first));
  t.domain = has_domain ? first : "docker.io";
  std::string path = has_domain ? rest.substr(slash + 1) : rest;
  if (!has_domain && path.find('/') == std::string::npos) path = "library/" + path;
  t.repository = t.domain + "/" + path;
  t.canonical = t.repository + (t.tag.rfind("sha256:", 0) == 0 ? "@" : ":") + t.tag;
  return t;
}

Result<void> pull_image(Cli& cli, const std::string& reference, const std::string& platform, bool quiet, int fd,
                        bool all_tags) {
  PullTarget t = TRY(pull_target(reference));
  if (all_tags && !t.defaulted) return fail(Errc::InvalidArgument, kTagWithAllTags);
  if (t.defaulted && !all_tags && !quiet) write_all(fd, "Using default tag: latest\n");
  // Without a tag, the daemon pulls every tag (the docker CLI sends none for -a).
  std::string q = "/images/create?fromImage=" + url_encode(t.name);
  if (!all_tags) q += "&tag=" + url_encode(t.tag);
  if (!platform.empty()) q += "&platform=" + url_encode(platform);
  return stream_progress(cli, q, t.domain, quiet, fd);
}

Result<void> stream_progress(Cli& cli, const std::string& path, const std::string& domain, bool quiet, int fd) {
  std::string auth = TRY(registry_auth_header(domain));  // first, as the docker CLI: a broken helper says so
  api::Client* c = TRY(cli.client());
  // Quiet: nothing is drawn, but an error in the stream still ends the command.
  ProgressDisplay display(fd, is_terminal(fd), quiet);
  auto r = TRY(c->stream("POST", path, "",
                         [&](std::string_view data) {
                           display.feed(data);
                           return true;
                         },
                         {{"X-Registry-Auth", auth}}));
  TRY(check(std::move(r)));
  return display.finish();
}

void add_pull_commands(Invocation& inv, CLI::App* parent) {
  if (!inv.wants(parent, "pull")) return;
  struct O {
    std::vector<std::string> args;
    bool all_tags = false, quiet = false, disable_content_trust = true;
    std::string platform;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, parent, "pull", "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry",
                              &o->args, {1, 1}, [&cli = inv.cli, o]() -> Result<int> {
    TRYV(pull_image(cli, o->args[0], o->platform, o->quiet, 1, o->all_tags));
    auto t = TRY(pull_target(o->args[0]));
    outf("{}\n", o->all_tags ? t.repository : t.canonical);
    return 0;
  });
  add_bool(app, "-a,--all-tags", o->all_tags, "Download all tagged images in the repository");
  add_bool(app, "--disable-content-trust", o->disable_content_trust, "Skip image verification (default true)");
  add_string(app, "--platform", o->platform, "Set platform if server is multi-platform capable", "string");
  add_bool(app, "-q,--quiet", o->quiet, "Suppress verbose output");
}

}  // namespace berth::cli
