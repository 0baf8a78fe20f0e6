// RUN: a container on the current image; its layer is the step's.
#include "base/strings.h"
#include "build/dispatcher.h"

namespace berth::build {

Result<void> Dispatcher::run_step(State& st, const Instruction& ins) {
  RunStep step;
  step.parent = st.image;
  for (const auto& [k, v] : ins.flags) {
    if (k == "network") {
      if (v != "none" && v != "default" && v != "host")
        return fail(Errc::InvalidArgument, "RUN --network=" + v + ": the network must be none, default or host");
      step.network = v == "default" ? "" : v;
    } else if (k == "mount") {
      if (!opt_.run_mounts)
        return fail(Errc::Unsupported,
                    "the --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how "
                    "to build images with BuildKit enabled (berth runs RUN --mount in its native mode: `berth build`, "
                    "or POST /build with berth-native=1)");
      auto expander = [&](std::string_view w) { return expand(st, w); };
      step.mounts.push_back(TRY_CTX(parse_run_mount(v, st.image.config.working_dir, expander), "RUN --mount=" + v));
    }
  }
  std::string mounts_key = TRY(resolve_mounts(st, step.mounts));
  const auto& config = st.image.config;
  if (ins.json) {
    step.argv = ins.args;
  } else {
    step.argv = config.shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : config.shell;
    step.argv.push_back(ins.args.empty() ? std::string() : ins.args[0]);
  }
  if (step.argv.empty()) return fail(Errc::InvalidArgument, "RUN requires at least one argument");
  std::string command = join(step.argv, " ");
  // The build args in scope are the RUN's environment and part of its
  // history text (and so of its cache key), as the legacy builder writes them.
  auto args = args_in_scope(st, false);
  std::string cb = args.empty() ? command : "|" + std::to_string(args.size()) + " " + join(args, " ") + " " + command;
  step.env = config.env;
  for (const auto& a : args_in_scope(st, true)) step.env.push_back(a);
  step.commit = CommitInfo{config, cb, st.author};
  std::string key = cache_key(st, "run", cb, config, "network=" + step.network + "\n" + mounts_key);
  if (TRY(from_cache(st, key))) return {};
  auto outcome = TRY(p_.run(step, *st.out));
  if (outcome.exit_code != 0) {
    st.exit_code = outcome.exit_code;
    return fail(Errc::Unavailable,
                "The command '" + command + "' returned a non-zero code: " + std::to_string(outcome.exit_code));
  }
  return advance(st, key, outcome.image_id);
}

Result<std::string> Dispatcher::resolve_mounts(const State& st, std::vector<RunMount>& mounts) {
  std::string key;
  for (size_t i = 0; i < mounts.size(); ++i) {
    auto& m = mounts[i];
    for (size_t j = 0; j < i; ++j)
      if (mounts[j].target == m.target) return fail(Errc::InvalidArgument, "RUN --mount: two mounts at " + m.target);
    std::string content;
    if (!m.from.empty()) {
      if (auto stage = stage_index(m.from, st.stage)) {
        auto id = built_image(*stage);
        if (!id) return fail(Errc::InvalidArgument, "stage " + m.from + " was not built");
        if (id->empty()) return fail(Errc::InvalidArgument, "stage " + m.from + " has no files (FROM scratch without a layer)");
        m.from_image = *id;
      } else {
        m.from_image = TRY(p_.from_image(m.from, opt_.platform, false, *st.out)).id;
      }
    } else if (m.type == MountType::bind) {
      // A bind of the context is keyed on what it shows, as COPY is.
      CopyStep files;
      files.parent = st.image;
      files.sources = {m.source.empty() ? std::string(".") : m.source};
      auto digest = p_.digest_sources(files);
      if (!digest) return std::unexpected(std::move(digest.error()).wrap("RUN --mount=type=bind,source=" + files.sources[0]));
      content = "content=" + digest->digest + "\n";
    }
    key += mount_key_text(m) + content;
  }
  return key;
}

}  // namespace berth::build
