// Steps that write files: WORKDIR (its directory), COPY and ADD (the
// sources, keyed in the cache by a digest of their content and metadata).
#include "base/strings.h"
#include "build/dispatcher.h"
#include "build/history_text.h"
#include "build/go_text.h"
#include "build/chmod.h"

namespace berth::build {

Result<void> Dispatcher::workdir_step(State& st, const Instruction& ins) {
  if (ins.args.empty() || trim(ins.args[0]).empty())
    return fail(Errc::InvalidArgument, "WORKDIR requires exactly one argument");
  std::string dir = TRY(expand(st, ins.args[0]));
  auto config = st.image.config;
  config.working_dir = gotext::clean_path(dir.starts_with("/") ? dir : "/" + config.working_dir + "/" + dir);
  std::string cb = created_by(st, "WORKDIR " + config.working_dir);
  std::string key = cache_key(st, "workdir", cb, config);
  if (TRY(from_cache(st, key))) return {};
  std::string id = TRY(p_.make_workdir(st.image, config.working_dir, CommitInfo{config, cb, st.author}));
  return advance(st, key, id);
}

Result<void> Dispatcher::copy_step(State& st, const Instruction& ins) {
  const std::string& name = ins.keyword;
  auto wrap = [&](Error e) { return std::unexpected(std::move(e).wrap(name + " failed")); };
  if (ins.args.size() < 2)
    return fail(Errc::InvalidArgument, name + " requires at least two arguments, but only one was provided. "
                                               "Destination could not be determined.");
  auto words = TRY(expand_all(st, ins.args));
  CopyStep step;
  step.parent = st.image;
  step.sources.assign(words.begin(), words.end() - 1);
  step.dest = words.back();
  step.workdir = st.image.config.working_dir;
  step.add = name == "ADD";
  std::string extra;
  if (auto from = flag(ins, "from")) {
    std::string ref = TRY(expand(st, *from));
    if (ref.empty()) return fail(Errc::InvalidArgument, "--from requires a stage name, index or image");
    step.from.context = false;
    if (auto stage = stage_index(ref, st.stage)) {
      auto id = built_image(*stage);
      if (!id) return fail(Errc::InvalidArgument, "stage " + ref + " was not built");
      if (id->empty()) return fail(Errc::InvalidArgument, "stage " + ref + " has no files (FROM scratch without a layer)");
      step.from.image = *id;
    } else {
      step.from.image = TRY(p_.from_image(ref, opt_.platform, false, *st.out)).id;
    }
    extra += "from=" + step.from.image + "\n";
  }
  if (auto chown = flag(ins, "chown")) step.chown = TRY(expand(st, *chown));
  if (auto chmod = flag(ins, "chmod")) {
    auto mode = parse_octal_mode(*chmod);
    if (!mode) return fail(Errc::InvalidArgument, "invalid chmod parameter: " + *chmod + " (an octal mode, e.g. 0755)");
    step.chmod = *mode;
  }
  extra += "chown=" + step.chown + "\nchmod=" + (step.chmod ? std::to_string(*step.chmod) : "") + "\n";
  auto digest = p_.digest_sources(step);
  if (!digest) return wrap(std::move(digest.error()));
  // COPY and ADD have one space after "#(nop)" where the config steps have two (the legacy builder's texts).
  std::string cb = created_by(st, "");
  cb.pop_back();
  cb += name + " " + digest->kind + ":" + digest->digest + " in " + step.dest + " ";
  step.commit = CommitInfo{st.image.config, cb, st.author};
  std::string key = cache_key(st, "copy", step.commit.created_by, step.commit.config, extra);
  if (TRY(from_cache(st, key))) return {};
  auto id = p_.copy(step);
  if (!id) return wrap(std::move(id.error()));
  return advance(st, key, *id);
}

}  // namespace berth::build
