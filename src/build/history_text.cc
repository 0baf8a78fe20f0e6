#include "build/history_text.h"

#include <fmt/format.h>

#include "build/go_text.h"

namespace berth::build {

std::string go_quote_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + gotext::quote(v[i]);
  return out + "]";
}

std::string go_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + v[i];
  return out + "]";
}

std::string go_duration(int64_t ns) {
  if (ns == 0) return "0s";
  bool neg = ns < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  std::string out;
  auto frac = [](uint64_t v, int digits) {  // v / 10^digits with trailing zeros trimmed
    std::string s = std::to_string(v);
    while (static_cast<int>(s.size()) <= digits) s = "0" + s;
    std::string whole = s.substr(0, s.size() - digits), part = s.substr(s.size() - digits);
    while (!part.empty() && part.back() == '0') part.pop_back();
    return part.empty() ? whole : whole + "." + part;
  };
  if (u < 1000000000ULL) {  // below a second: ns, µs or ms
    if (u < 1000) out = std::to_string(u) + "ns";
    else if (u < 1000000) out = frac(u, 3) + "µs";
    else out = frac(u, 6) + "ms";
  } else {
    uint64_t secs = u / 1000000000ULL, nanos = u % 1000000000ULL;
    uint64_t h = secs / 3600, m = (secs / 60) % 60, s = secs % 60;
    std::string sec = frac(s * 1000000000ULL + nanos, 9) + "s";
    if (h) out = std::to_string(h) + "h" + std::to_string(m) + "m" + sec;
    else if (m) out = std::to_string(m) + "m" + sec;
    else out = sec;
  }
  return neg ? "-" + out : out;
}

std::string healthcheck_text(const model::Healthcheck& h) {
  auto int_q = [](int v) {  // Go's %q of an int: a quoted rune
    if (v >= 0x20 && v < 0x7f && v != '\'' && v != '\\') return fmt::format("'{}'", static_cast<char>(v));
    return fmt::format("'\\x{:02x}'", v & 0xff);
  };
  return "&{" + go_quote_list(h.test) + " " + gotext::quote(go_duration(h.interval_ns)) + " " +
         gotext::quote(go_duration(h.timeout_ns)) + " " + gotext::quote(go_duration(h.start_period_ns)) + " " +
         int_q(h.retries) + "}";
}

std::string canonical_config(const model::ContainerConfig& c) {
  std::string out;
  auto line = [&](std::string_view k, const std::string& v) { out += std::string(k) + "=" + gotext::quote(v) + "\n"; };
  auto list = [&](std::string_view k, const std::vector<std::string>& v) { out += std::string(k) + "=" + go_quote_list(v) + "\n"; };
  line("user", c.user);
  line("workdir", c.working_dir);
  list("env", c.env);
  if (c.cmd) list("cmd", *c.cmd);
  if (c.entrypoint) list("entrypoint", *c.entrypoint);
  list("shell", c.shell);
  list("onbuild", c.on_build);
  line("stopsignal", c.stop_signal);
  for (const auto& [k, v] : c.labels) line("label " + k, v);
  for (const auto& p : c.exposed_ports) line("port", p);
  for (const auto& v : c.volumes) line("volume", v);
  if (c.healthcheck) line("healthcheck", healthcheck_text(*c.healthcheck) + go_duration(c.healthcheck->start_interval_ns));
  return out;
}

}  // namespace berth::build
