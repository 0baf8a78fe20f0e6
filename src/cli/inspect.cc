#include "cli/inspect.h"

#include "cli/filters.h"
#include "cli/table.h"
#include "cli/template.h"

namespace berth::cli {

namespace {

// The raw JSON of one object, or the error to print for it.
Result<std::string> fetch(Cli& cli, const std::string& name, InspectType type, bool size) {
  api::Client* c = TRY(cli.client());
  auto get = [&](const std::string& path) -> Result<api::Response> { return c->request("GET", path); };
  if (type != InspectType::Image) {
    api::Response r = TRY(get("/containers/" + url_encode(name) + "/json" + (size ? "?size=1" : "")));
    if (r.status < 400) return r.body;
    if (r.status != 404 || type == InspectType::Container) return std::unexpected(daemon_error(r));
  }
  api::Response r = TRY(get("/images/" + url_encode(name) + "/json"));
  if (r.status < 400) return r.body;
  if (r.status == 404 && type == InspectType::Any) {
    return fail(Errc::NotFound, "Error: No such object: " + name);
  }
  return std::unexpected(daemon_error(r));
}

}  // namespace

Result<int> inspect_objects(Cli& cli, const std::vector<std::string>& names, const std::string& format,
                            InspectType type, bool size) {
  return print_inspected(names, format, [&](const std::string& name) { return fetch(cli, name, type, size); });
}

Result<int> print_inspected(const std::vector<std::string>& names, const std::string& format,
                            const std::function<Result<std::string>(const std::string&)>& fetch) {
  std::optional<Template> tmpl;
  if (!format.empty()) {
    std::string f = format == "json" ? "{{json .}}" : format;
    auto t = Template::parse(f);
    if (!t) return fail(Errc::InvalidArgument, "template parsing error: " + t.error().message);
    tmpl = std::move(*t);
  }
  int rc = 0;
  std::vector<std::string> raws;
  std::string text;
  std::vector<std::string> errors;
  for (const auto& name : names) {
    auto raw = fetch(name);
    if (!raw) {
      // Only a connection failure stops everything; a missing object is reported after the output.
      if (raw.error().code == Errc::Unavailable) return std::unexpected(raw.error());
      errors.push_back(raw.error().str());
      rc = 1;
      continue;
    }
    if (tmpl) {
      Json j = Json::parse(*raw, nullptr, false);
      auto s = tmpl->execute(j);
      if (!s) return fail(Errc::InvalidArgument, "template parsing error: " + s.error().message);
      text += *s + "\n";
    } else {
      raws.push_back(*raw);
    }
  }
  if (tmpl) {
    out(text);
  } else if (raws.empty()) {
    out("[]\n");
  } else {
    std::string all = "[";
    for (size_t i = 0; i < raws.size(); ++i) all += (i ? "," : "") + raws[i];
    out(indent_json(all + "]") + "\n");
  }
  for (const auto& e : errors) err(e + "\n");
  return rc;
}

}  // namespace berth::cli
