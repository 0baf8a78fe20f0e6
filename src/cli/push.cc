// berth push: the daemon's POST /images/NAME/push with the client's
// credentials, its progress drawn as the docker CLI draws it.
#include "cli/pull.h"
#include "cli/stream.h"

namespace berth::cli {

namespace {

// all_tags: every local tag of the repository (the daemon's push without ?tag=).
Result<void> push_image(Cli& cli, const std::string& reference, bool quiet, bool all_tags) {
  PullTarget t = TRY(pull_target(reference));
  if (all_tags && !t.defaulted) return fail(Errc::InvalidArgument, kTagWithAllTags);
  if (t.tag.rfind("sha256:", 0) == 0)
    return fail(Errc::InvalidArgument, "cannot push a digest reference");
  if (t.defaulted && !all_tags && !quiet) outf("Using default tag: latest\n");
  std::string path = "/images/" + url_encode(t.name) + "/push";
  if (!all_tags) path += "?tag=" + url_encode(t.tag);
  TRYV(stream_progress(cli, path, t.domain, quiet, 1));
  if (quiet) outf("{}\n", all_tags ? t.repository : t.canonical);
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
    if (!o->platform.empty()) return fail(Errc::Unsupported, "berth push --platform is not supported yet");
    TRYV(push_image(cli, o->args[0], o->quiet, o->all_tags));
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
