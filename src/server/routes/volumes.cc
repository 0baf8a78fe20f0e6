#include "server/routes/volumes.h"

namespace berth::server {
namespace {

using json = nlohmann::json;
using volume::VolumeService;

// The `filters` query parameter; bad JSON is the client's error (400).
Result<json> filters_of(const Request& req) {
  auto f = req.q("filters");
  if (!f || f->empty()) return json::object();
  auto j = json::parse(*f, nullptr, false);
  if (j.is_discarded()) return fail(Errc::InvalidArgument, "invalid filter: " + *f + " is not valid JSON");
  return j;
}

// A JSON object of strings (DriverOpts, Labels); null or absent is empty.
Result<std::map<std::string, std::string>> string_map(const json& body, const char* key) {
  std::map<std::string, std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_object()) return fail(Errc::InvalidArgument, std::string(key) + " must be an object of strings");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) return fail(Errc::InvalidArgument, std::string(key) + "." + k + " must be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

std::string string_field(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void reply_json(ResponseWriter& w, const Result<json>& r, int status = 200) {
  if (!r) return (void)w.error(r.error());
  (void)w.json(status, *r);
}

void create(Request& req, ResponseWriter& w, VolumeService& v) {
  auto body = req.json_body();
  if (!body) return (void)w.error(body.error());
  if (!body->is_object()) return (void)w.error(Error{Errc::InvalidArgument, 0, "the request body must be a JSON object"});
  auto opts = string_map(*body, "DriverOpts");
  if (!opts) return (void)w.error(opts.error());
  auto labels = string_map(*body, "Labels");
  if (!labels) return (void)w.error(labels.error());
  reply_json(w, v.create(string_field(*body, "Name"), string_field(*body, "Driver"), *opts, *labels), 201);
}

}  // namespace

void add_volume_routes(Router& router, VolumeService& volumes) {
  VolumeService* v = &volumes;
  router.add("GET", "/volumes", [v](Request& req, ResponseWriter& w) {
    auto f = filters_of(req);
    if (!f) return (void)w.error(f.error());
    reply_json(w, v->list(*f));
  });
  router.add("POST", "/volumes/create", [v](Request& req, ResponseWriter& w) { create(req, w, *v); });
  router.add("POST", "/volumes/prune", [v](Request& req, ResponseWriter& w) {
    auto f = filters_of(req);
    if (!f) return (void)w.error(f.error());
    reply_json(w, v->prune(*f));
  });
  router.add("GET", "/volumes/{name}", [v](Request& req, ResponseWriter& w) { reply_json(w, v->inspect(req.params[0])); });
  router.add("DELETE", "/volumes/{name}", [v](Request& req, ResponseWriter& w) {
    auto r = v->remove(req.params[0], req.q_bool("force"));
    if (!r) return (void)w.error(r.error());
    (void)w.send(204, "", "");
  });
}

}  // namespace berth::server
