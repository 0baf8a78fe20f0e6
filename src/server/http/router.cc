#include "server/http/server.h"

#include <cstdio>
#include <cstdlib>

#include "server/http/target.h"

namespace berth::server {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path[0] == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == path.npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

[[noreturn]] void bad_pattern(const std::string& pattern, const char* why) {
  std::fprintf(stderr, "berth: route pattern \"%s\": %s\n", pattern.c_str(), why);
  std::abort();
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler h) {
  if (pattern.empty() || pattern[0] != '/') bad_pattern(pattern, "must begin with '/'");
  Route r;
  r.method = std::move(method);
  r.pattern = pattern;
  r.handler = std::move(h);
  for (std::string_view seg : split_path(pattern)) {
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      if (seg.ends_with("...}")) {
        if (r.rest >= 0) bad_pattern(pattern, "more than one {name...} segment");
        r.rest = static_cast<int>(r.segments.size());
        r.segments.push_back({Segment::Kind::Rest, {}});
      } else {
        r.segments.push_back({Segment::Kind::Param, {}});
      }
    } else {
      if (seg.find_first_of("{}") != seg.npos) bad_pattern(pattern, "a parameter must be a whole segment");
      r.segments.push_back({Segment::Kind::Literal, std::string(seg)});
    }
  }
  routes_.push_back(std::move(r));
}

bool Router::match_route(const Route& r, const std::vector<std::string_view>& path,
                         std::vector<std::string>* params) const {
  size_t n = path.size(), m = r.segments.size();
  // Without a rest segment the counts must agree; with one, it takes
  // path[rest .. n - after) and must get at least one segment.
  size_t rest_len = 1;
  if (r.rest < 0) {
    if (n != m) return false;
  } else {
    if (n < m) return false;
    rest_len = n - m + 1;
  }
  params->clear();
  size_t pi = 0;
  for (size_t si = 0; si < m; ++si) {
    const Segment& seg = r.segments[si];
    switch (seg.kind) {
      case Segment::Kind::Literal:
        if (path[pi] != seg.text) return false;
        ++pi;
        break;
      case Segment::Kind::Param:
        if (path[pi].empty()) return false;
        params->push_back(percent_decode(path[pi], false));
        ++pi;
        break;
      case Segment::Kind::Rest: {
        // The segments are views into one string: join by taking the span.
        std::string_view first = path[pi], last = path[pi + rest_len - 1];
        std::string_view span(first.data(), static_cast<size_t>(last.data() + last.size() - first.data()));
        if (span.empty()) return false;
        params->push_back(percent_decode(span, false));
        pi += rest_len;
        break;
      }
    }
  }
  return true;
}

const Handler* Router::match(Request& req, bool* path_known) const {
  *path_known = false;
  std::vector<std::string_view> path = split_path(req.path);
  std::vector<std::string> params;
  const Route* get_fallback = nullptr;
  std::vector<std::string> get_params;
  for (const Route& r : routes_) {
    if (!match_route(r, path, &params)) continue;
    if (r.method == req.method) {
      req.params = std::move(params);
      req.route = r.pattern;
      return &r.handler;
    }
    *path_known = true;
    if (req.method == "HEAD" && r.method == "GET" && !get_fallback) {
      get_fallback = &r;
      get_params = params;
    }
  }
  if (get_fallback) {
    req.params = std::move(get_params);
    req.route = get_fallback->pattern;
    return &get_fallback->handler;
  }
  return nullptr;
}

}  // namespace berth::server
