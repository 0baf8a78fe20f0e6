// berth push: the daemon's POST /images/NAME/push with the client's
// credentials, its progress drawn as the docker CLI draws it.
#include "cli/pull.h"
#include "cli/stream.h"

namespace berth::cli {

namespace {

Result<void> push_image(Cli& cli, const std::string& reference, bool quiet) {
  PullTarget t = TRY(pull_target(reference));
  if (t.tag.rfind("sha256:", 0) == 0)
    return fail(Errc::InvalidArgument, "cannot push a digest reference");
  if (t.defaulted && !quiet) outf("Using default tag: latest\n");
  TRYV(stream_progress(cli, "/images/" + url_encode(t.name) + "/push?tag=" + url_encode(t.tag), t.domain, quiet, 1));
  if (quiet) outf("{}\n", t.canonical);
  return {};
}

}  // namespace

void add_push_commands(Invocation& inv, CLI::App* parent) {
  if (!inv.wants(parent, "push")) return;
  struct O {
    std::vector<std::string> args;
    bool all_tags = false, quiet = false, disable_content_trust = true;
    std::string platform;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, parent, "push", "[OPTIONS] NAME[:TAG]", "Upload an image to a registry", &o->args,
                              {1, 1}, [&cli = inv.cli, o]() -> Result<int> {
    if (o->all_tags) return fail(Errc::Unsupported, "berth push --all-tags is not supported yet: push each tag by name");
    if (!o->platform.empty()) return fail(Errc::Unsupported, "berth push --platform is not supported yet");
    TRYV(push_image(cli, o->args[0], o->quiet));
    return 0;
  });
  add_bool(app, "-a,--all-tags", o->all_tags, "Push all tags of an image to the repository");
  add_bool(app, "--disable-content-trust", o->disable_content_trust, "Skip image signing (default true)");
  add_string(app, "--platform", o->platform,
             "Push a platform-specific manifest as a single-platform image to the registry. Image index won't be "
             "pushed, meaning that other manifests, including attestations won't be preserved. "
             "'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
             "string");
  add_bool(app, "-q,--quiet", o->quiet, "Suppress verbose output");
}

}  // namespace berth::cli
