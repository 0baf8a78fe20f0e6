// Prometheus text exposition format, version 0.0.4 (what /metrics serves):
// "# HELP" and "# TYPE" lines, then each family's samples together, one
// "name{label="value",...} value" a line. Hand-written rather than Debian's
// prometheus-cpp (not packaged here; see docs/architecture.md): the format is
// a few rules, and berth's figures come from its own sampler, not a registry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::stats::prom {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class Type { Counter, Gauge, Histogram };

using Labels = std::vector<std::pair<std::string, std::string>>;

// [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]* (no "__" prefix).
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);
// Label values escape \ " and newline; HELP text escapes \ and newline.
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
// Shortest round-trip form; "+Inf", "-Inf", "NaN" as the format spells them.
std::string format_value(double v);

class TextWriter {
 public:
  // Starts a family. Names and help are the program's own: an invalid name
  // is a programming error (aborts with a message).
  void family(std::string_view name, Type type, std::string_view help);
  // A sample of the current family: its name, or name + "_bucket" / "_sum" /
  // "_count" for a histogram. Label names must be valid; values any text.
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, const Labels& labels, uint64_t value);
  // name_bucket{...,le=...} per bound (cumulative counts), +Inf, _sum, _count.
  void histogram(std::string_view name, const Labels& labels, const std::vector<double>& bounds,
                 const std::vector<uint64_t>& cumulative, double sum, uint64_t count);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void head(std::string_view name, const Labels& labels, const std::pair<std::string, std::string>* extra);
  std::string out_;
};

}  // namespace berth::stats::prom
