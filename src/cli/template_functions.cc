// The functions an action can call: docker's (json, join, split, lower,
// upper, title, truncate, pad) and Go's builtins (index, len, printf, print,
// println, not, and, or, eq, ne, lt, le, gt, ge).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <optional>

#include <fmt/format.h>

#include "base/go_json.h"
#include "cli/template_tree.h"

namespace berth::cli::tmpl {

namespace {

std::optional<double> as_number(const Json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

// truncate's and pad's counts: a float is cut toward zero and clamped into
// int64 (converting one beyond it was undefined); a non-number counts 0.
int64_t count_arg(const Json& v) {
  if (v.is_number_unsigned()) return static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX));
  if (v.is_number_integer()) return v.get<int64_t>();
  if (!v.is_number_float() || std::isnan(v.get<double>())) return 0;
  double d = v.get<double>();
  return d >= 0x1p63 ? INT64_MAX : d <= -0x1p63 ? INT64_MIN : static_cast<int64_t>(d);
}

// Functions refuse a result past the output bound before or while building it.
std::unexpected<Error> too_long(const std::string& function) {
  return fail(Errc::InvalidArgument,
              fmt::format("template: {}: result longer than {} bytes", function, kTemplateMaxOutput));
}

std::string title_case(std::string s) {
  bool start = true;
  for (char& c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      start = false;
    } else {
      start = true;
    }
  }
  return s;
}

}  // namespace

std::string go_sprintf(const std::string& format, const std::vector<Value>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size() && out.size() <= kTemplateMaxOutput; ++i) {  // the caller refuses more
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool left = false;
    if (j < format.size() && format[j] == '-') left = true, ++j;
    int width = 0;
    for (; j < format.size() && std::isdigit(static_cast<unsigned char>(format[j])); ++j) {
      // Go's fmt gives up on a width beyond 1e6 and drops the rest of the format.
      if (width > 1'000'000) return out + "%!(NOVERB)";
      width = width * 10 + (format[j] - '0');
    }
    if (j >= format.size()) break;
    char verb = format[j];
    i = j;
    std::string piece;
    if (next >= args.size()) {
      piece = fmt::format("%!{}(MISSING)", verb);
    } else {
      const Json& a = *args[next++];
      piece = verb == 'q' ? fmt::format("\"{}\"", as_string(a)) : as_string(a);
    }
    if (static_cast<int>(piece.size()) < width) {
      std::string pad(width - piece.size(), ' ');
      piece = left ? piece + pad : pad + piece;
    }
    out += piece;
  }
  return out;
}

Result<Value> call_function(const std::string& name, const std::vector<Value>& args, bool header_mode) {
  auto need = [&](size_t n) -> Result<void> {
    if (args.size() != n) {
      return fail(Errc::InvalidArgument,
                  fmt::format("template: wrong number of args for {}: want {} got {}", name, n, args.size()));
    }
    return {};
  };
  auto arg = [&](size_t i) -> const Json& { return *args[i]; };
  static const char* const kHeaderFuncs[] = {"json", "split", "join", "title", "lower", "upper", "truncate", "pad"};
  if (header_mode && std::find(std::begin(kHeaderFuncs), std::end(kHeaderFuncs), name) != std::end(kHeaderFuncs)) {
    if (args.empty()) return owned(Json(""));
    return args[0];
  }
  if (name == "json") {
    TRYV(need(1));
    return owned(Json(arg(0).is_discarded() ? std::string("null") : go::marshal(arg(0))));
  }
  if (name == "join") {
    TRYV(need(2));
    std::string out;
    if (arg(0).is_array()) {
      std::string sep = as_string(arg(1));
      for (size_t i = 0; i < arg(0).size(); ++i) {
        if (i) out += sep;
        out += as_string(arg(0)[i]);
        if (out.size() > kTemplateMaxOutput) return too_long(name);
      }
    } else {
      out = as_string(arg(0));
    }
    return owned(Json(std::move(out)));
  }
  if (name == "split") {
    TRYV(need(2));
    std::string s = as_string(arg(0)), sep = as_string(arg(1));
    Json out = Json::array();
    if (sep.empty()) {
      if (s.size() > kTemplateMaxSteps) return too_long(name);  // each part is a step to use
      for (char c : s) out.push_back(std::string(1, c));
      return owned(std::move(out));
    }
    size_t i = 0;
    while (true) {
      size_t next = s.find(sep, i);
      out.push_back(s.substr(i, next == std::string::npos ? std::string::npos : next - i));
      if (out.size() > kTemplateMaxSteps) return too_long(name);
      if (next == std::string::npos) break;
      i = next + sep.size();
    }
    return owned(std::move(out));
  }
  if (name == "lower" || name == "upper") {
    TRYV(need(1));
    std::string s = as_string(arg(0));
    for (char& c : s) {
      c = static_cast<char>(name == "lower" ? std::tolower(static_cast<unsigned char>(c))
                                            : std::toupper(static_cast<unsigned char>(c)));
    }
    return owned(Json(std::move(s)));
  }
  if (name == "title") {
    TRYV(need(1));
    return owned(Json(title_case(as_string(arg(0)))));
  }
  if (name == "truncate") {
    TRYV(need(2));
    std::string s = as_string(arg(0));
    int64_t n = count_arg(arg(1));
    if (n >= 0 && static_cast<size_t>(n) < s.size()) s.resize(static_cast<size_t>(n));
    return owned(Json(std::move(s)));
  }
  if (name == "pad") {
    TRYV(need(3));
    std::string s = as_string(arg(0));
    int64_t before = count_arg(arg(1)), after = count_arg(arg(2));
    if (before > int64_t{kTemplateMaxOutput} || after > int64_t{kTemplateMaxOutput} ||
        s.size() + std::max<int64_t>(before, 0) + std::max<int64_t>(after, 0) > kTemplateMaxOutput)
      return too_long(name);
    return owned(Json(std::string(std::max<int64_t>(before, 0), ' ') + s + std::string(std::max<int64_t>(after, 0), ' ')));
  }
  if (name == "index") {
    if (args.empty()) return fail(Errc::InvalidArgument, "template: index of nothing");
    Value v = args[0];
    for (size_t i = 1; i < args.size(); ++i) {
      const Json& key = arg(i);
      if (v->is_object() && key.is_string()) {
        auto it = v->find(key.get_ref<const std::string&>());
        static const Json kNil = nullptr;  // a missing map key indexes to the zero value
        v = it == v->end() ? borrowed(kNil) : part_of(v, *it);
      } else if (v->is_array() && key.is_number_integer()) {
        int64_t k = key.get<int64_t>();
        if (k < 0 || static_cast<size_t>(k) >= v->size()) {
          return fail(Errc::InvalidArgument, fmt::format("template: index out of range: {}", k));
        }
        v = part_of(v, (*v)[static_cast<size_t>(k)]);
      } else if (v->is_null() || v->is_discarded()) {
        return fail(Errc::InvalidArgument, "template: index of untyped nil");
      } else {
        return fail(Errc::InvalidArgument, fmt::format("template: can't index item of type {}", v->type_name()));
      }
    }
    return v;
  }
  if (name == "len") {
    TRYV(need(1));
    if (arg(0).is_string()) return owned(Json(arg(0).get_ref<const std::string&>().size()));
    if (arg(0).is_array() || arg(0).is_object()) return owned(Json(arg(0).size()));
    return fail(Errc::InvalidArgument, "template: len of untyped value");
  }
  if (name == "printf") {
    if (args.empty()) return fail(Errc::InvalidArgument, "template: printf needs a format");
    std::string out = go_sprintf(as_string(arg(0)), std::vector<Value>(args.begin() + 1, args.end()));
    if (out.size() > kTemplateMaxOutput) return too_long(name);
    return owned(Json(std::move(out)));
  }
  if (name == "print" || name == "println") {
    std::string out;
    for (size_t i = 0; i < args.size(); ++i) {
      // print adds spaces between operands when neither is a string; println always.
      if (i && (name == "println" || (!arg(i - 1).is_string() && !arg(i).is_string()))) out += ' ';
      go_print_to(out, arg(i));  // strings raw
      if (out.size() > kTemplateMaxOutput) return too_long(name);
    }
    if (name == "println") out += '\n';
    return owned(Json(std::move(out)));
  }
  if (name == "not") {
    TRYV(need(1));
    return owned(Json(!truthy(arg(0))));
  }
  if (name == "and" || name == "or") {
    if (args.empty()) return fail(Errc::InvalidArgument, fmt::format("template: {} needs arguments", name));
    for (const auto& v : args) {
      if (truthy(*v) == (name == "or")) return v;
    }
    return args.back();
  }
  if (name == "eq" || name == "ne") {
    if (args.size() < 2) return fail(Errc::InvalidArgument, fmt::format("template: {} needs two arguments", name));
    bool equal = false;
    for (size_t i = 1; i < args.size(); ++i) equal = equal || arg(0) == arg(i);
    return owned(Json(name == "eq" ? equal : !equal));
  }
  if (name == "lt" || name == "le" || name == "gt" || name == "ge") {
    TRYV(need(2));
    int cmp;
    if (auto x = as_number(arg(0)), y = as_number(arg(1)); x && y) {
      cmp = *x < *y ? -1 : *x > *y ? 1 : 0;
    } else if (arg(0).is_string() && arg(1).is_string()) {
      cmp = arg(0).get_ref<const std::string&>().compare(arg(1).get_ref<const std::string&>());
    } else {
      return fail(Errc::InvalidArgument, fmt::format("template: incompatible types for comparison in {}", name));
    }
    bool r = name == "lt" ? cmp < 0 : name == "le" ? cmp <= 0 : name == "gt" ? cmp > 0 : cmp >= 0;
    return owned(Json(r));
  }
  return fail(Errc::InvalidArgument, fmt::format("template: function \"{}\" not defined", name));
}

}  // namespace berth::cli::tmpl
