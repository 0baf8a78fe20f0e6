#include "stats/prom_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace berth::stats::prom {
namespace {

bool name_char(char c, bool first, bool colon_ok) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon_ok && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

[[noreturn]] void bad(std::string_view what, std::string_view name) {
  std::fprintf(stderr, "berth: prometheus %.*s \"%.*s\" is not valid\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(name.size()), name.data());
  std::abort();
}

}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, true)) return false;
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, false)) return false;
  return true;
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Go's FormatFloat(v, 'g', -1, 64), as Prometheus' own clients write
  // values: shortest digits, plain between 1e-4 and 1e21, else an exponent.
  char buf[400];
  double a = std::fabs(v);
  auto fmt = a != 0 && (a < 1e-4 || a >= 1e21) ? std::chars_format::scientific : std::chars_format::fixed;
  auto r = std::to_chars(buf, buf + sizeof buf, v, fmt);
  return std::string(buf, r.ptr);
}

void TextWriter::family(std::string_view name, Type type, std::string_view help) {
  if (!valid_metric_name(name)) bad("metric name", name);
  out_.append("# HELP ").append(name).append(" ").append(escape_help(help)).append("\n");
  out_.append("# TYPE ").append(name).append(" ");
  out_.append(type == Type::Counter ? "counter" : type == Type::Gauge ? "gauge" : "histogram").append("\n");
}

void TextWriter::head(std::string_view name, const Labels& labels, const std::pair<std::string, std::string>* extra) {
  if (!valid_metric_name(name)) bad("metric name", name);
  out_.append(name);
  if (labels.empty() && !extra) {
    out_ += ' ';
    return;
  }
  out_ += '{';
  bool first = true;
  auto one = [&](const std::string& k, const std::string& v) {
    if (!valid_label_name(k)) bad("label name", k);
    if (!first) out_ += ',';
    first = false;
    out_.append(k).append("=\"").append(escape_label_value(v)).append("\"");
  };
  for (const auto& [k, v] : labels) one(k, v);
  if (extra) one(extra->first, extra->second);
  out_.append("} ");
}

void TextWriter::sample(std::string_view name, const Labels& labels, double value) {
  head(name, labels, nullptr);
  out_.append(format_value(value)).append("\n");
}

void TextWriter::sample(std::string_view name, const Labels& labels, uint64_t value) {
  head(name, labels, nullptr);
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr).append("\n");
}

void TextWriter::histogram(std::string_view name, const Labels& labels, const std::vector<double>& bounds,
                           const std::vector<uint64_t>& cumulative, double sum, uint64_t count) {
  std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i < bounds.size() && i < cumulative.size(); ++i) {
    std::pair<std::string, std::string> le{"le", format_value(bounds[i])};
    head(bucket, labels, &le);
    out_.append(std::to_string(cumulative[i])).append("\n");
  }
  std::pair<std::string, std::string> inf{"le", "+Inf"};
  head(bucket, labels, &inf);
  out_.append(std::to_string(count)).append("\n");
  sample(std::string(name) + "_sum", labels, sum);
  sample(std::string(name) + "_count", labels, count);
}

}  // namespace berth::stats::prom
