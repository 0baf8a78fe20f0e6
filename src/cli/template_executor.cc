// Running a parsed template over JSON data, and Go's ways of printing values.
#include <algorithm>
#include <cmath>
#include <iterator>

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

Value missing_value() {
  static const Json kMissing = missing();
  return borrowed(kMissing);
}

void go_print_to(std::string& out, const Json& v) {
  if (v.is_discarded()) {
    out += "<no value>";
  } else if (v.is_null()) {
    out += "<nil>";
  } else if (v.is_string()) {
    out += v.get_ref<const std::string&>();
  } else if (v.is_boolean()) {
    out += v.get<bool>() ? "true" : "false";
  } else if (v.is_number_integer()) {
    out += v.dump();
  } else if (v.is_number_float()) {
    double d = v.get<double>();
    // Whole numbers print without a fraction or exponent (beyond int64 too: no cast).
    if (std::floor(d) == d && std::fabs(d) < 1e21) {
      fmt::format_to(std::back_inserter(out), "{:.0f}", d == 0 ? 0.0 : d);
    } else {
      fmt::format_to(std::back_inserter(out), "{}", d);
    }
  } else if (v.is_array()) {
    out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ' ';
      go_print_to(out, v[i]);
    }
    out += ']';
  } else {
    std::vector<Json::const_iterator> items;
    for (auto it = v.begin(); it != v.end(); ++it) items.push_back(it);
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.key() < b.key(); });
    out += "map[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += ' ';
      out += items[i].key();
      out += ':';
      go_print_to(out, items[i].value());
    }
    out += ']';
  }
}

}  // namespace tmpl

namespace {

using tmpl::Arg;
using tmpl::borrowed;
using tmpl::Command;
using tmpl::missing_value;
using tmpl::owned;
using tmpl::part_of;
using tmpl::Pipeline;
using tmpl::truthy;
using tmpl::Value;

class Executor {
 public:
  Executor(const Json& root, bool header_mode, TemplateLimits limits) : header_(header_mode), limits_(limits) {
    vars_.push_back({"$", borrowed(root)});
  }

  Result<void> run(const std::vector<std::unique_ptr<TemplateNode>>& list, const Value& dot, std::string& out) {
    for (const auto& node : list) {
      TRYV(step());
      TRYV(run_node(*node, dot, out));
      if (out.size() > limits_.output)
        return fail(Errc::InvalidArgument, fmt::format("template: output longer than {} bytes", limits_.output));
    }
    return {};
  }

 private:
  // A unit of work (a node run, a range iteration, a function call): a
  // {{range 1000000000000}} or nested ranges end here instead of running for days.
  Result<void> step(uint64_t n = 1) {
    if ((steps_ += n) > limits_.steps)
      return fail(Errc::InvalidArgument, fmt::format("template: execution stopped after {} steps", limits_.steps));
    return {};
  }

  // What functions build counts too: strings against the output bound (they
  // may be printed; doubling one through variables would otherwise grow
  // without end), the parts of an array (split) as steps.
  Result<Value> account(Value v) {
    if (v->is_string()) built_ += v->get_ref<const std::string&>().size();
    if (built_ > limits_.output)
      return fail(Errc::InvalidArgument, fmt::format("template: functions built more than {} bytes", limits_.output));
    if (v->is_array()) TRYV(step(v->size()));
    return v;
  }

  // Every function call goes through here: a step, and its result accounted.
  Result<Value> call(const std::string& name, const std::vector<Value>& args) {
    TRYV(step());
    return account(TRY(tmpl::call_function(name, args, header_)));
  }

  Result<void> run_node(const TemplateNode& n, const Value& dot, std::string& out) {
    switch (n.kind) {
      case TemplateNode::Kind::Text:
        out += n.text;
        return {};
      case TemplateNode::Kind::List:
        return run(n.body, dot, out);
      case TemplateNode::Kind::Action: {
        Value v = TRY(eval_pipeline(n.pipe, dot));
        if (n.pipe.decl.empty()) tmpl::go_print_to(out, *v);
        return {};
      }
      case TemplateNode::Kind::If:
      case TemplateNode::Kind::With: {
        size_t depth = vars_.size();
        Value v = TRY(eval_pipeline(n.pipe, dot));
        Result<void> r;
        if (truthy(*v)) {
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

  Result<void> run_range(const TemplateNode& n, const Value& dot, std::string& out) {
    size_t depth = vars_.size();
    Pipeline pipe = n.pipe;
    std::vector<std::string> decl = std::move(pipe.decl);
    pipe.decl.clear();
    Value v = TRY(eval_pipeline(pipe, dot));
    auto iteration = [&](const Value& key, const Value& elem) -> Result<void> {
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
    if (v->is_array()) {
      for (size_t i = 0; i < v->size(); ++i, any = true) TRYV(iteration(owned(Json(i)), part_of(v, (*v)[i])));
    } else if (v->is_object()) {
      std::vector<Json::const_iterator> items;
      for (auto it = v->begin(); it != v->end(); ++it) items.push_back(it);
      // Go ranges over maps in key order.
      std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.key() < b.key(); });
      for (const auto& it : items) {
        any = true;
        TRYV(iteration(owned(Json(it.key())), part_of(v, it.value())));
      }
    } else if (v->is_number_integer()) {
      for (int64_t i = 0; i < v->get<int64_t>(); ++i, any = true) {
        Value index = owned(Json(i));
        TRYV(iteration(index, index));
      }
    } else if (!v->is_null() && !v->is_discarded()) {
      return fail(Errc::InvalidArgument, fmt::format("template: range can't iterate over {}", go_print(*v)));
    }
    vars_.resize(depth);
    if (!any) TRYV(run(n.else_body, dot, out));
    vars_.resize(depth);
    return {};
  }

  Result<Value> eval_pipeline(const Pipeline& p, const Value& dot) {
    Value value;
    for (const auto& cmd : p.cmds) value = TRY(eval_command(cmd, dot, value));
    if (!value) value = missing_value();
    if (!p.decl.empty()) vars_.push_back({p.decl.back(), value});
    return value;
  }

  // Points into `v`: {{$.A.B}} in a loop copies nothing.
  static Value walk(const Value& v, const std::vector<std::string>& path) {
    const Json* at = v.get();
    for (const auto& name : path) {
      if (!at->is_object()) return missing_value();
      auto it = at->find(name);
      if (it == at->end()) return missing_value();
      at = &*it;
    }
    return part_of(v, *at);
  }

  Result<Value> eval_arg(const Arg& a, const Value& dot) {
    switch (a.kind) {
      case Arg::Kind::Literal:
        return borrowed(a.literal);
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
    return missing_value();
  }

  // `piped` is the previous command's value, or null for the first command.
  Result<Value> eval_command(const Command& cmd, const Value& dot, const Value& piped) {
    const Arg& first = cmd.args[0];
    if (first.kind != Arg::Kind::Ident) {
      if (cmd.args.size() > 1 || piped) {
        return fail(Errc::InvalidArgument, "template: can't give argument to non-function");
      }
      return eval_arg(first, dot);
    }
    std::vector<Value> args;
    for (size_t i = 1; i < cmd.args.size(); ++i) args.push_back(TRY(eval_arg(cmd.args[i], dot)));
    if (piped) args.push_back(piped);
    return call(first.name, args);
  }

  bool header_;
  TemplateLimits limits_;
  uint64_t steps_ = 0;
  size_t built_ = 0;  // bytes of the strings functions returned
  std::vector<std::pair<std::string, Value>> vars_;
};

}  // namespace

Template::Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<std::string> Template::execute(const Json& data, bool header_mode, TemplateLimits limits) const {
  std::string out;
  Executor ex(data, header_mode, limits);
  TRYV(ex.run(root_->body, borrowed(data), out));
  return out;
}

std::string go_print(const Json& v) {
  std::string out;
  tmpl::go_print_to(out, v);
  return out;
}

}  // namespace berth::cli
