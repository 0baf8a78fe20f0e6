// The dispatcher's frame: stages, the step log, FROM and its triggers, the
// cache, variable expansion. The instructions themselves are step_*.cc.
#include "build/dispatcher.h"

#include <algorithm>
#include <regex>

#include "base/strings.h"
#include "build/go_text.h"
#include "build/history_text.h"
#include "build/shell_words.h"

namespace berth::build {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Docker's predefined build args: usable without an ARG, kept out of
// history and the cache key unless an ARG declares them.
bool is_proxy_arg(std::string_view name) {
  static const std::set<std::string, std::less<>> kProxy = {
      "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
      "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
  return kProxy.contains(name);
}

std::string short_id(const std::string& id) {
  std::string hex = id.starts_with("sha256:") ? id.substr(7) : id;
  return hex.substr(0, 12);
}

bool has_env(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& e : env) {
    auto eq = e.find('=');
    if (std::string_view(e).substr(0, eq) == name) return true;
  }
  return false;
}

}  // namespace

Dispatcher::Dispatcher(const Dockerfile& dockerfile, const BuildOptions& options, Primitives& primitives,
                       Output& out)
    : df_(dockerfile), opt_(options), p_(primitives), out_(out) {}

Result<void> Dispatcher::plan() {
  static const std::regex kStageName("^[a-z][a-z0-9-_\\.]*$");
  const auto& ins = df_.instructions;
  for (size_t i = 0; i < ins.size(); ++i) {
    const auto& in = ins[i];
    if (in.keyword == "FROM") {
      if (in.args.size() != 1 && !(in.args.size() == 3 && ascii_lower(in.args[1]) == "as"))
        return fail(Errc::InvalidArgument, "line " + std::to_string(in.line) +
                                               ": FROM requires either one or three arguments");
      if (!stages_.empty()) stages_.back().end = i;
      Stage s;
      s.from = i;
      s.end = ins.size();
      if (in.args.size() == 3) {
        s.name = ascii_lower(in.args[2]);
        if (!std::regex_match(s.name, kStageName))
          return fail(Errc::InvalidArgument, "line " + std::to_string(in.line) + ": invalid name for build stage: \"" +
                                                 in.args[2] + "\", name can't start with a number or contain symbols");
        for (const auto& other : stages_)
          if (other.name == s.name)
            return fail(Errc::InvalidArgument,
                        "line " + std::to_string(in.line) + ": duplicate name \"" + in.args[2] + "\"");
      }
      stages_.push_back(std::move(s));
    } else if (stages_.empty() && in.keyword != "ARG") {
      return fail(Errc::InvalidArgument, "line " + std::to_string(in.line) + ": " + in.keyword +
                                             ": no build stage in current context (only ARG may come before FROM)");
    }
  }
  if (stages_.empty()) return fail(Errc::InvalidArgument, "no FROM instruction: a Dockerfile starts its first stage with FROM");
  target_ = stages_.size() - 1;
  if (!opt_.target.empty()) {
    auto t = std::find_if(stages_.begin(), stages_.end(),
                          [&](const Stage& s) { return s.name == ascii_lower(opt_.target); });
    if (t == stages_.end())
      return fail(Errc::InvalidArgument, "failed to reach build target " + opt_.target + " in Dockerfile");
    target_ = static_cast<size_t>(t - stages_.begin());
  }
  total_steps_ = stages_[target_].end + (opt_.labels.empty() ? 0 : 1);
  return {};
}

void Dispatcher::link_stages() {
  const auto& ins = df_.instructions;
  State meta;  // FROM sees the ARGs before the first FROM
  meta.args = meta_args_;
  for (size_t s = 0; s < stages_.size(); ++s) {
    auto& st = stages_[s];
    auto depend = [&](const std::string& ref) {
      if (ref.find('$') != std::string::npos) {
        // Known only once the stage's ARGs and ENV are: any earlier stage may be meant.
        for (size_t e = 0; e < s; ++e) st.needs.insert(e);
      } else if (auto from = stage_index(ref, s)) {
        st.needs.insert(*from);
      }
    };
    auto base = expand(meta, ins[st.from].args[0]);  // an error is FROM's to report, at its step
    depend(base ? *base : ins[st.from].args[0]);
    auto raw = [](std::string_view w) -> Result<std::string> { return std::string(w); };
    for (size_t i = st.from + 1; i < st.end; ++i) {
      if (auto f = flag(ins[i], "from")) depend(*f);
      for (const auto& [k, v] : ins[i].flags)
        if (k == "mount")
          if (auto m = parse_run_mount(v, "/", raw); m && !m->from.empty()) depend(m->from);
    }
  }
}

Result<size_t> Dispatcher::stage_index(const std::string& name_or_index, size_t before) const {
  std::string name = ascii_lower(name_or_index);
  for (size_t i = 0; i < before && i < stages_.size(); ++i)
    if (!stages_[i].name.empty() && stages_[i].name == name) return i;
  if (auto n = parse_uint(name); n && !name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
    if (*n < before) return static_cast<size_t>(*n);
  }
  return fail(Errc::NotFound, "no build stage named " + name_or_index);
}

Result<std::string> Dispatcher::run() {
  TRYV(plan());
  // ARGs before the first FROM: steps too, expanded with each other only.
  for (size_t i = 0; i < stages_[0].from; ++i) {
    const auto& in = df_.instructions[i];
    out_.stream("Step " + std::to_string(++step_no_) + "/" + std::to_string(total_steps_) + " : " + in.original + "\n");
    State meta;
    meta.meta = true;
    meta.args = meta_args_;
    meta.out = &out_;
    TRYV(arg_step(meta, in));
    meta_args_ = meta.args;
  }
  link_stages();
  std::vector<bool> wanted(stages_.size(), !opt_.skip_unused_stages);
  wanted[target_] = true;
  for (size_t s = target_ + 1; s-- > 0;)
    if (wanted[s])
      for (size_t n : stages_[s].needs) wanted[n] = true;
  TRYV(build_stages(wanted));
  std::vector<std::string> unused;
  for (const auto& [name, value] : opt_.build_args)
    if (!consumed_.contains(name) && !is_proxy_arg(name)) unused.push_back(name);
  if (!unused.empty()) out_.stream("[Warning] One or more build-args [" + join(unused, " ") + "] were not consumed\n");
  auto id = built_image(target_);
  if (!id || id->empty()) return fail(Errc::InvalidArgument, "No image was generated. Is your Dockerfile empty?");
  return *id;
}

Result<void> Dispatcher::build_stage(size_t index, Output& out, int& exit_code) {
  const auto& stage = stages_[index];
  State st;
  st.stage = index;
  st.out = &out;
  st.next_step = stage.from + 1;  // a stage's steps keep their numbers whatever is built or skipped
  auto built = [&]() -> Result<void> {
    for (size_t i = stage.from; i < stage.end; ++i) {
      if (aborted_) return fail(Errc::Unavailable, "stopped: another stage failed");
      TRYV(step(st, df_.instructions[i], false));
    }
    return {};
  }();
  if (!built) {
    exit_code = st.exit_code;
    return built;
  }
  if (index == target_ && !opt_.labels.empty()) {
    // `--label`: a LABEL step of its own at the end, as the legacy builder adds.
    std::string text = "LABEL";
    for (const auto& [k, v] : opt_.labels) text += " " + gotext::quote(k) + "='" + v + "'";
    auto parsed = TRY(parse_dockerfile(text));
    Instruction label = parsed.instructions.at(0);
    label.line = 0;
    TRYV(step(st, label, false));
  }
  std::lock_guard lk(mu_);
  stages_[index].image_id = st.image.id;
  return {};
}

Result<void> Dispatcher::step(State& st, const Instruction& ins, bool trigger) {
  if (!trigger)
    st.out->stream("Step " + std::to_string(st.next_step++) + "/" + std::to_string(total_steps_) + " : " + ins.original + "\n");
  auto r = ins.keyword == "FROM" ? from(st, ins) : dispatch(st, ins);
  if (!r && ins.line > 0) return std::unexpected(std::move(r.error()).wrap("Dockerfile line " + std::to_string(ins.line)));
  return r;
}

Result<void> Dispatcher::from(State& st, const Instruction& ins) {
  // FROM sees only the ARGs declared before the first FROM.
  State meta;
  meta.args = meta_args_;
  std::string ref = TRY(expand(meta, ins.args[0]));
  std::string platform = opt_.platform;
  if (auto f = flag(ins, "platform")) platform = TRY(expand(meta, *f));
  st.cmd_set = false;
  st.author.clear();
  st.args.clear();
  if (auto stage = stage_index(ref, st.stage)) {
    auto id = built_image(*stage);
    if (!id) return fail(Errc::InvalidArgument, "stage " + ref + " was not built");
    st.image = id->empty() ? StageImage{} : TRY(p_.load(*id));
  } else if (ascii_lower(ref) == "scratch") {
    st.image = StageImage{};
  } else {
    st.image = TRY(p_.from_image(ref, platform, opt_.pull, *st.out));
  }
  if (!has_env(st.image.config.env, "PATH")) st.image.config.env.push_back(std::string("PATH=") + kDefaultPath);
  st.out->stream(" ---> " + short_id(st.image.id) + "\n");
  return run_triggers(st);
}

Result<void> Dispatcher::run_triggers(State& st) {
  auto triggers = st.image.config.on_build;
  if (triggers.empty()) return {};
  st.image.config.on_build.clear();  // a child's child does not run them again
  st.out->stream("# Executing " + std::to_string(triggers.size()) + " build trigger" + (triggers.size() > 1 ? "s" : "") +
              "\n");
  for (const auto& text : triggers) {
    auto parsed = TRY_CTX(parse_dockerfile(text), "ONBUILD trigger " + text);
    for (const auto& t : parsed.instructions) TRYV_CTX(dispatch(st, t), "ONBUILD trigger " + text);
  }
  return {};
}

Result<void> Dispatcher::dispatch(State& st, const Instruction& ins) {
  const auto& k = ins.keyword;
  if (k == "ENV") return env_step(st, ins);
  if (k == "LABEL") return label_step(st, ins);
  if (k == "CMD" || k == "ENTRYPOINT") return command_step(st, ins);
  if (k == "EXPOSE") return expose_step(st, ins);
  if (k == "VOLUME") return volume_step(st, ins);
  if (k == "USER") return user_step(st, ins);
  if (k == "STOPSIGNAL") return stopsignal_step(st, ins);
  if (k == "HEALTHCHECK") return healthcheck_step(st, ins);
  if (k == "ONBUILD") return onbuild_step(st, ins);
  if (k == "SHELL") return shell_step(st, ins);
  if (k == "MAINTAINER") return maintainer_step(st, ins);
  if (k == "ARG") return arg_step(st, ins);
  if (k == "WORKDIR") return workdir_step(st, ins);
  if (k == "COPY" || k == "ADD") return copy_step(st, ins);
  if (k == "RUN") return run_step(st, ins);
  if (k == "FROM") return fail(Errc::InvalidArgument, "FROM is not allowed here");
  return fail(Errc::InvalidArgument, "unknown instruction: " + k);
}

Result<void> Dispatcher::commit_config(State& st, const model::ContainerConfig& config, const std::string& message) {
  std::string cb = created_by(st, message);
  std::string key = cache_key(st, "config", cb, config);
  if (TRY(from_cache(st, key))) return {};
  StageImage parent = st.image;
  std::string id = TRY(p_.commit_config(parent, CommitInfo{config, cb, st.author}));
  return advance(st, key, id);
}

Result<bool> Dispatcher::from_cache(State& st, const std::string& key) {
  if (opt_.no_cache) return false;
  auto id = p_.cache_get(key);
  if (!id) return false;
  auto image = p_.load(*id);
  if (!image) return false;  // an entry whose image is gone: build the step again
  st.out->stream(" ---> Using cache\n ---> " + short_id(*id) + "\n");
  st.image = std::move(*image);
  return true;
}

Result<void> Dispatcher::advance(State& st, const std::string& key, const std::string& image_id) {
  p_.cache_put(key, image_id);
  st.image = TRY(p_.load(image_id));
  st.out->stream(" ---> " + short_id(image_id) + "\n");
  return {};
}

Result<std::string> Dispatcher::expand(const State& st, std::string_view word) const {
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    for (const auto& e : st.image.config.env) {
      auto eq = e.find('=');
      if (eq != std::string::npos && std::string_view(e).substr(0, eq) == name) return e.substr(eq + 1);
    }
    for (auto it = st.args.rbegin(); it != st.args.rend(); ++it)
      if (it->name == name) return it->value;
    if (is_proxy_arg(name))
      if (auto b = opt_.build_args.find(std::string(name)); b != opt_.build_args.end()) return b->second;
    return std::nullopt;
  };
  return expand_word(word, lookup, df_.escape);
}

Result<std::vector<std::string>> Dispatcher::expand_all(const State& st, const std::vector<std::string>& words) const {
  std::vector<std::string> out;
  for (const auto& w : words) out.push_back(TRY(expand(st, w)));
  return out;
}

std::vector<std::string> Dispatcher::args_in_scope(const State& st, bool with_proxies) const {
  std::map<std::string, std::string> vals;
  for (const auto& a : st.args)
    if (a.value) vals[a.name] = *a.value;
  if (with_proxies)
    for (const auto& [k, v] : opt_.build_args)
      if (is_proxy_arg(k) && v && !vals.contains(k)) vals[k] = *v;
  std::vector<std::string> out;
  for (const auto& [k, v] : vals)
    if (!has_env(st.image.config.env, k)) out.push_back(k + "=" + v);
  return out;
}

std::optional<std::string> Dispatcher::flag(const Instruction& ins, const std::string& name) const {
  std::optional<std::string> v;
  for (const auto& [k, val] : ins.flags)
    if (k == name) v = val;
  return v;
}

std::string Dispatcher::created_by(const State& st, const std::string& message) const {
  auto shell = st.image.config.shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : st.image.config.shell;
  return join(shell, " ") + " #(nop)  " + message;
}

std::string Dispatcher::cache_key(const State& st, const std::string& kind, const std::string& created_by,
                                  const model::ContainerConfig& config, const std::string& extra) const {
  return "berth-build-cache-v1\n" + kind + "\n" + st.image.id + "\n" + created_by + "\n" + st.author + "\n" +
         canonical_config(config) + "\n" + extra;
}

}  // namespace berth::build
