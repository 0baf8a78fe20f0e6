// Running a parsed template over JSON data, and Go's ways of printing values.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cli/template_tree.h"

namespace berth::cli {

namespace tmpl {

bool truthy(const Json& v) {
  if (v.is_discarded() || v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() != 0;
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  return !v.empty();
}

std::string as_string(const Json& v) { return v.is_string() ? v.get<std::string>() : go_print(v); }

}  // namespace tmpl

namespace {

using tmpl::Arg;
using tmpl::Command;
using tmpl::missing;
using tmpl::Pipeline;
using tmpl::truthy;

class Executor {
 public:
  Executor(const Json& root, bool header_mode) : header_(header_mode) { vars_.push_back({"$", root}); }

  Result<void> run(const std::vector<std::unique_ptr<TemplateNode>>& list, const Json& dot, std::string& out) {
    for (const auto& node : list) {
      TRYV(step());
      TRYV(run_node(*node, dot, out));
      if (out.size() > kTemplateMaxOutput)
        return fail(Errc::InvalidArgument, fmt::format("template: output longer than {} bytes", kTemplateMaxOutput));
    }
    return {};
  }

 private:
  // A unit of work (a node run, a range iteration, a function call): a
  // {{range 1000000000000}} or nested ranges end here instead of running for days.
  Result<void> step(uint64_t n = 1) {
    if ((steps_ += n) > kTemplateMaxSteps)
      return fail(Errc::InvalidArgument, fmt::format("template: execution stopped after {} steps", kTemplateMaxSteps));
    return {};
  }

  // What functions build counts too: strings against the output bound (they
  // may be printed; doubling one through variables would otherwise grow
  // without end), the parts of an array (split) as steps.
  Result<Json> account(Json v) {
    if (v.is_string()) built_ += v.get_ref<const std::string&>().size();
    if (built_ > kTemplateMaxOutput)
      return fail(Errc::InvalidArgument, fmt::format("template: functions built more than {} bytes", kTemplateMaxOutput));
    if (v.is_array()) TRYV(step(v.size()));
    return v;
  }

  // Every function call goes through here: a step, and its result accounted.
  Result<Json> call(const std::string& name, const std::vector<Json>& args) {
    TRYV(step());
    return account(TRY(tmpl::call_function(name, args, header_)));
  }

  Result<void> run_node(const TemplateNode& n, const Json& dot, std::string& out) {
    switch (n.kind) {
      case TemplateNode::Kind::Text:
        out += n.text;
        return {};
      case TemplateNode::Kind::List:
        return run(n.body, dot, out);
      case TemplateNode::Kind::Action: {
        Json v = TRY(eval_pipeline(n.pipe, dot));
        if (n.pipe.decl.empty()) out += go_print(v);
        return {};
      }
      case TemplateNode::Kind::If:
      case TemplateNode::Kind::With: {
        size_t depth = vars_.size();
        Json v = TRY(eval_pipeline(n.pipe, dot));
        Result<void> r;
        if (truthy(v)) {
          r = run(n.body, n.kind == TemplateNode::Kind::With ? v : dot, out);
        } else {
          r = run(n.else_body, dot, out);
        }
        vars_.resize(depth);
        return r;
      }
      case TemplateNode::Kind::Range:
        return run_range(n, dot, out);
    }
    return {};
  }

  Result<void> run_range(const TemplateNode& n, const Json& dot, std::string& out) {
    size_t depth = vars_.size();
    Pipeline pipe = n.pipe;
    std::vector<std::string> decl = std::move(pipe.decl);
    pipe.decl.clear();
    Json v = TRY(eval_pipeline(pipe, dot));
    auto iteration = [&](const Json& key, const Json& elem) -> Result<void> {
      TRYV(step());
      vars_.resize(depth);
      if (decl.size() == 1) vars_.push_back({decl[0], elem});
      if (decl.size() == 2) {
        vars_.push_back({decl[0], key});
        vars_.push_back({decl[1], elem});
      }
      return run(n.body, elem, out);
    };
    bool any = false;
    if (v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i, any = true) TRYV(iteration(Json(i), v[i]));
    } else if (v.is_object()) {
      std::vector<std::string> keys;
      for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
      std::sort(keys.begin(), keys.end());  // Go ranges over maps in key order
      for (const auto& k : keys) {
        any = true;
        TRYV(iteration(Json(k), v[k]));
      }
    } else if (v.is_number_integer()) {
      for (int64_t i = 0; i < v.get<int64_t>(); ++i, any = true) TRYV(iteration(Json(i), Json(i)));
    } else if (!v.is_null() && !v.is_discarded()) {
      return fail(Errc::InvalidArgument, fmt::format("template: range can't iterate over {}", go_print(v)));
    }
    vars_.resize(depth);
    if (!any) TRYV(run(n.else_body, dot, out));
    vars_.resize(depth);
    return {};
  }

  Result<Json> eval_pipeline(const Pipeline& p, const Json& dot) {
    std::optional<Json> value;
    for (const auto& cmd : p.cmds) value = TRY(eval_command(cmd, dot, value));
    Json v = value ? *value : missing();
    if (!p.decl.empty()) vars_.push_back({p.decl.back(), v});
    return v;
  }

  // Copies only the value found, not the document on the way ({{$.A.B}} in a loop).
  static Json walk(const Json& v, const std::vector<std::string>& path) {
    const Json* at = &v;
    for (const auto& name : path) {
      if (!at->is_object()) return missing();
      auto it = at->find(name);
      if (it == at->end()) return missing();
      at = &*it;
    }
    return *at;
  }

  Result<Json> eval_arg(const Arg& a, const Json& dot) {
    switch (a.kind) {
      case Arg::Kind::Literal:
        return a.literal;
      case Arg::Kind::Field:
        return walk(dot, a.path);
      case Arg::Kind::Var:
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
          if (it->first == a.name) return walk(it->second, a.path);
        }
        return fail(Errc::InvalidArgument, fmt::format("template: undefined variable \"{}\"", a.name));
      case Arg::Kind::Sub:
        return eval_pipeline(*a.sub, dot);
      case Arg::Kind::Ident:
        return call(a.name, {});
    }
    return missing();
  }

  Result<Json> eval_command(const Command& cmd, const Json& dot, const std::optional<Json>& piped) {
    const Arg& first = cmd.args[0];
    if (first.kind != Arg::Kind::Ident) {
      if (cmd.args.size() > 1 || piped) {
        return fail(Errc::InvalidArgument, "template: can't give argument to non-function");
      }
      return eval_arg(first, dot);
    }
    std::vector<Json> args;
    for (size_t i = 1; i < cmd.args.size(); ++i) args.push_back(TRY(eval_arg(cmd.args[i], dot)));
    if (piped) args.push_back(*piped);
    return call(first.name, args);
  }

  bool header_;
  uint64_t steps_ = 0;
  size_t built_ = 0;  // bytes of the strings functions returned
  std::vector<std::pair<std::string, Json>> vars_;
};

}  // namespace

Template::Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<std::string> Template::execute(const Json& data, bool header_mode) const {
  std::string out;
  Executor ex(data, header_mode);
  TRYV(ex.run(root_->body, data, out));
  return out;
}

std::string go_print(const Json& v) {
  if (v.is_discarded()) return "<no value>";
  if (v.is_null()) return "<nil>";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) {
    double d = v.get<double>();
    // Whole numbers print without a fraction or exponent (beyond int64 too: no cast).
    if (std::floor(d) == d && std::fabs(d) < 1e21) return fmt::format("{:.0f}", d == 0 ? 0.0 : d);
    return fmt::format("{}", d);
  }
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + go_print(v[i]);
    return out + "]";
  }
  std::vector<std::string> keys;
  for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  std::string out = "map[";
  for (size_t i = 0; i < keys.size(); ++i) out += (i ? " " : "") + keys[i] + ":" + go_print(v[keys[i]]);
  return out + "]";
}

}  // namespace berth::cli
