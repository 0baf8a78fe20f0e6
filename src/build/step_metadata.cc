// Steps that change only the image's config: ENV, LABEL, CMD, ENTRYPOINT,
// EXPOSE, VOLUME, USER, STOPSIGNAL, HEALTHCHECK, ONBUILD, SHELL,
// MAINTAINER, ARG. Each commits an image without a layer (or takes it from
// the cache) with the legacy builder's history text.
#include <csignal>

#include "base/go_time.h"
#include "base/strings.h"
#include "build/dispatcher.h"
#include "build/history_text.h"

namespace berth::build {
namespace {

void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  for (auto& e : env)
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      e = key + "=" + value;
      return;
    }
  env.push_back(key + "=" + value);
}

std::vector<std::string> shell_of(const model::ContainerConfig& c) {
  return c.shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : c.shell;
}

// The process of a CMD/ENTRYPOINT/RUN/HEALTHCHECK: the exec form as given,
// or the shell form run by SHELL.
std::vector<std::string> command_of(const Instruction& ins, const model::ContainerConfig& c, size_t first = 0) {
  std::vector<std::string> args(ins.args.begin() + static_cast<long>(std::min(first, ins.args.size())), ins.args.end());
  if (ins.json) return args;
  auto cmd = shell_of(c);
  cmd.push_back(args.empty() ? std::string() : args[0]);
  return cmd;
}

// nat.ParsePortSpec's container part: PORT[-PORT][/PROTO].
Result<std::vector<std::string>> exposed_ports(const std::string& spec) {
  std::string ports = spec, proto = "tcp";
  if (auto slash = spec.find('/'); slash != std::string::npos) {
    ports = spec.substr(0, slash);
    proto = ascii_lower(spec.substr(slash + 1));
    if (proto != "tcp" && proto != "udp" && proto != "sctp") return fail(Errc::InvalidArgument, "invalid proto: " + proto);
  }
  auto dash = ports.find('-');
  auto lo = parse_uint(ports.substr(0, dash));
  auto hi = dash == std::string::npos ? lo : parse_uint(ports.substr(dash + 1));
  if (!lo || !hi || *lo > 65535 || *hi > 65535 || *hi < *lo || ports.empty())
    return fail(Errc::InvalidArgument, "invalid containerPort: " + ports);
  std::vector<std::string> out;
  for (auto p = *lo; p <= *hi; ++p) out.push_back(std::to_string(p) + "/" + proto);
  return out;
}

bool valid_signal(std::string s) {
  if (auto n = parse_uint(s)) return *n > 0 && *n <= 64;
  if (s.starts_with("SIG")) s = s.substr(3);
  static const std::set<std::string> kNames = {
      "ABRT", "ALRM", "BUS",  "CHLD", "CLD",  "CONT",   "FPE",    "HUP",  "ILL",  "INT",  "IO",   "IOT",
      "KILL", "PIPE", "POLL", "PROF", "PWR",  "QUIT",   "SEGV",   "STKFLT", "STOP", "SYS", "TERM", "TRAP",
      "TSTP", "TTIN", "TTOU", "URG",  "USR1", "USR2",   "VTALRM", "WINCH", "XCPU", "XFSZ", "UNUSED"};
  if (kNames.contains(s)) return true;
  if (s.starts_with("RTMIN") || s.starts_with("RTMAX")) return true;
  return false;
}

}  // namespace

Result<void> Dispatcher::env_step(State& st, const Instruction& ins) {
  auto config = st.image.config;
  std::string message = "ENV";
  for (size_t i = 0; i + 1 < ins.args.size(); i += 2) {
    std::string key = TRY(expand(st, ins.args[i]));
    std::string value = TRY(expand(st, ins.args[i + 1]));
    if (key.empty()) return fail(Errc::InvalidArgument, "ENV names can not be blank");
    set_env(config.env, key, value);
    message += " " + key + "=" + value;
  }
  return commit_config(st, config, message);
}

Result<void> Dispatcher::label_step(State& st, const Instruction& ins) {
  auto config = st.image.config;
  std::string message = "LABEL";
  for (size_t i = 0; i + 1 < ins.args.size(); i += 2) {
    std::string key = TRY(expand(st, ins.args[i]));
    std::string value = TRY(expand(st, ins.args[i + 1]));
    if (key.empty()) return fail(Errc::InvalidArgument, "LABEL names can not be blank");
    config.labels[key] = value;
    message += " " + key + "=" + value;
  }
  return commit_config(st, config, message);
}

Result<void> Dispatcher::command_step(State& st, const Instruction& ins) {
  auto config = st.image.config;
  auto cmd = command_of(ins, config);
  if (ins.keyword == "CMD") {
    config.cmd = cmd;
    st.cmd_set = true;
    return commit_config(st, config, "CMD " + go_quote_list(cmd));
  }
  if (ins.json && cmd.empty()) config.entrypoint.reset();
  else config.entrypoint = cmd;
  // An ENTRYPOINT drops a CMD inherited from the base image, not one set here.
  if (!st.cmd_set) config.cmd.reset();
  return commit_config(st, config, "ENTRYPOINT " + go_quote_list(config.entrypoint.value_or(std::vector<std::string>{})));
}

Result<void> Dispatcher::expose_step(State& st, const Instruction& ins) {
  auto config = st.image.config;
  if (ins.args.empty()) return fail(Errc::InvalidArgument, "EXPOSE requires at least one argument");
  auto words = TRY(expand_all(st, ins.args));
  for (const auto& w : words)
    for (const auto& p : TRY(exposed_ports(w))) config.exposed_ports.insert(p);
  return commit_config(st, config, "EXPOSE " + join(words, " "));
}

Result<void> Dispatcher::volume_step(State& st, const Instruction& ins) {
  auto config = st.image.config;
  if (ins.args.empty()) return fail(Errc::InvalidArgument, "VOLUME requires at least one argument");
  auto words = TRY(expand_all(st, ins.args));
  for (const auto& v : words) {
    if (trim(v).empty()) return fail(Errc::InvalidArgument, "VOLUME specified can not be an empty string");
    config.volumes.insert(v);
  }
  return commit_config(st, config, "VOLUME " + go_list(words));
}

Result<void> Dispatcher::user_step(State& st, const Instruction& ins) {
  auto config = st.image.config;
  if (ins.args.empty() || ins.args[0].empty()) return fail(Errc::InvalidArgument, "USER requires exactly one argument");
  config.user = TRY(expand(st, ins.args[0]));
  return commit_config(st, config, "USER " + config.user);
}

Result<void> Dispatcher::stopsignal_step(State& st, const Instruction& ins) {
  auto config = st.image.config;
  if (ins.args.empty()) return fail(Errc::InvalidArgument, "STOPSIGNAL requires exactly one argument");
  std::string sig = TRY(expand(st, ins.args[0]));
  if (!valid_signal(sig)) return fail(Errc::InvalidArgument, "Invalid signal: " + sig);
  config.stop_signal = sig;
  return commit_config(st, config, "STOPSIGNAL " + sig);
}

Result<void> Dispatcher::healthcheck_step(State& st, const Instruction& ins) {
  auto config = st.image.config;
  model::Healthcheck h;
  if (ins.args.empty()) return fail(Errc::InvalidArgument, "HEALTHCHECK requires an argument: NONE or CMD");
  if (ascii_lower(ins.args[0]) == "none") {
    if (!ins.flags.empty()) return fail(Errc::InvalidArgument, "HEALTHCHECK NONE takes no options");
    h.test = {"NONE"};
  } else {
    if (ins.json) {
      h.test = {"CMD"};
      h.test.insert(h.test.end(), ins.args.begin() + 1, ins.args.end());
    } else {
      h.test = {"CMD-SHELL", ins.args.size() > 1 ? ins.args[1] : std::string()};
    }
    auto duration = [&](const char* name) -> Result<int64_t> {
      auto v = flag(ins, name);
      if (!v || v->empty()) return int64_t{0};
      int64_t d = TRY(go::parse_duration(*v));
      if (d != 0 && d < 1000000)
        return fail(Errc::InvalidArgument, std::string("Interval \"") + name + "\" cannot be less than 1ms");
      return d;
    };
    h.interval_ns = TRY(duration("interval"));
    h.timeout_ns = TRY(duration("timeout"));
    h.start_period_ns = TRY(duration("start-period"));
    h.start_interval_ns = TRY(duration("start-interval"));
    if (auto r = flag(ins, "retries"); r && !r->empty()) {
      auto n = parse_int(*r);
      if (!n) return fail(Errc::InvalidArgument, "--retries: invalid number " + *r);
      if (*n < 0) return fail(Errc::InvalidArgument, "--retries cannot be negative (" + *r + ")");
      h.retries = static_cast<int>(*n);
    }
  }
  config.healthcheck = h;
  return commit_config(st, config, "HEALTHCHECK " + healthcheck_text(h));
}

Result<void> Dispatcher::onbuild_step(State& st, const Instruction& ins) {
  auto config = st.image.config;
  if (!ins.child) return fail(Errc::InvalidArgument, "ONBUILD requires at least one argument");
  std::string expression = ins.child->original;
  config.on_build.push_back(expression);
  return commit_config(st, config, "ONBUILD " + expression);
}

Result<void> Dispatcher::shell_step(State& st, const Instruction& ins) {
  auto config = st.image.config;
  if (!ins.json || ins.args.empty()) return fail(Errc::InvalidArgument, "SHELL requires the arguments to be in JSON form");
  config.shell = ins.args;
  return commit_config(st, config, "SHELL " + go_list(ins.args));
}

Result<void> Dispatcher::maintainer_step(State& st, const Instruction& ins) {
  st.author = ins.args.empty() ? std::string() : ins.args[0];
  return commit_config(st, st.image.config, "MAINTAINER " + st.author);
}

Result<void> Dispatcher::arg_step(State& st, const Instruction& ins) {
  if (ins.args.empty()) return fail(Errc::InvalidArgument, "ARG requires exactly one argument");
  std::string message = "ARG";
  for (const auto& word : ins.args) {
    auto eq = word.find('=');
    ArgValue a;
    a.name = word.substr(0, eq);
    if (a.name.empty()) return fail(Errc::InvalidArgument, "ARG names can not be blank");
    std::optional<std::string> fallback;
    if (eq != std::string::npos) fallback = TRY(expand(st, word.substr(eq + 1)));
    if (!fallback && !st.meta)  // ARG NAME in a stage takes the value of a global ARG NAME
      for (const auto& m : meta_args_)
        if (m.name == a.name) fallback = m.value;
    auto given = opt_.build_args.find(a.name);
    a.value = given != opt_.build_args.end() && given->second ? given->second : fallback;
    {
      std::lock_guard lk(mu_);  // stages may run at once
      consumed_.insert(a.name);
    }
    message += " " + (eq == std::string::npos ? a.name : a.name + "=" + *fallback);
    st.args.push_back(std::move(a));
  }
  if (st.meta) return {};
  return commit_config(st, st.image.config, message);
}

}  // namespace berth::build
