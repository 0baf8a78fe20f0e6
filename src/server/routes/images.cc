// The /images endpoints over backend::ImageBackend, with dockerd's wire
// forms: JSON in Go's field order, JSON message streams ("\r\n"-separated)
// for import and load, a chunked tar for save.
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "base/go_json.h"
#include "base/go_units.h"
#include "server/routes/routes.h"

namespace berth::server {
namespace {

using ojson = nlohmann::ordered_json;
using backend::ImageBackend;

// dockerd's streamformatter ends every JSON message with "\r\n".
std::string message_line(const ojson& j) { return go::marshal(j) + "\r\n"; }

// jsonmessage.JSONMessage with only an error.
std::string error_line(const Error& e) {
  ojson j = ojson::object();
  j["errorDetail"] = ojson{{"message", e.message}};
  j["error"] = e.message;
  return message_line(j);
}

// Go's json.Encoder: compact, HTML-safe escapes, newline.
Result<void> send_json(ResponseWriter& w, int status, const ojson& j) {
  return w.send(status, "application/json", go::marshal(j) + "\n");
}

// The old `filter=NAME` parameter (API < 1.41 clients) is a reference filter.
std::string list_filters(const Request& req) {
  std::string filters = req.q("filters").value_or("");
  auto legacy = req.q("filter");
  if (!legacy || legacy->empty()) return filters;
  auto j = filters.empty() ? nlohmann::json::object() : nlohmann::json::parse(filters, nullptr, false);
  if (!j.is_object()) return filters;  // the backend reports the bad JSON
  auto& ref = j["reference"];
  if (ref.is_array())
    ref.push_back(*legacy);
  else
    ref[*legacy] = true;
  return j.dump();
}

backend::BodyReader body_of(Request& req) {
  return [&req](char* p, size_t n) { return req.read_some(p, n); };
}

Result<void> import_image(Request& req, ResponseWriter& w, ImageBackend& images) {
  std::string src = req.q("fromSrc").value_or("");
  if (src != "-")
    return fail(Errc::Unsupported, "importing from a URL (fromSrc=" + src +
                                       ") is not supported yet: berth has no download client (coming in a later release); "
                                       "send the archive as the request body (docker import FILE)");
  backend::ImageImportOptions o;
  o.repo = req.q("repo").value_or("");
  o.tag = req.q("tag").value_or("");
  o.message = req.q("message").value_or("");
  for (auto [it, end] = req.query.equal_range("changes"); it != end; ++it) o.changes.push_back(it->second);
  TRYV(images.check_import(o));
  auto id = TRY(images.image_import(body_of(req), o));
  TRYV(w.begin_stream(200, "application/json"));
  TRYV(w.write_chunk(message_line(ojson{{"status", id}})));
  return w.end_stream();
}

Result<void> load_images(Request& req, ResponseWriter& w, ImageBackend& images) {
  bool quiet = req.q_bool("quiet", true);
  int64_t total = -1;
  if (auto len = req.header("content-length"); !len.empty()) total = std::strtoll(len.c_str(), nullptr, 10);
  // dockerd answers 200 and reports failures in the stream; the stream
  // starts with the first message.
  bool streaming = false;
  auto emit = [&](const std::string& line) {
    if (!streaming) {
      if (!w.begin_stream(200, "application/json")) return false;
      streaming = true;
    }
    return w.write_chunk(line).has_value();
  };
  auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  backend::TransferProgress progress;
  if (!quiet) {
    progress = [&](uint64_t current, int64_t known_total) {
      auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(100) && (known_total < 0 || current < uint64_t(known_total))) return;
      last = now;
      ojson detail = ojson{{"current", current}};
      std::string shown = go::human_size(double(current));
      if (known_total > 0) {
        detail["total"] = known_total;
        shown += "/" + go::human_size(double(known_total));
      }
      (void)emit(message_line(ojson{{"status", "Loading"}, {"progressDetail", detail}, {"progress", shown}}));
    };
  }
  auto lines = images.image_load(body_of(req), total, progress);
  if (!lines) {
    (void)emit(error_line(lines.error()));
  } else {
    for (const auto& l : *lines)
      if (!emit(message_line(ojson{{"stream", l}}))) return {};
  }
  if (!streaming) return w.send(200, "application/json", "");
  return w.end_stream();
}

Result<void> save_images(const std::vector<std::string>& names, ResponseWriter& w, ImageBackend& images) {
  auto saved = TRY(images.image_save(names));
  TRYV(w.begin_stream(200, "application/x-tar"));
  std::string buf(256 << 10, '\0');
  for (;;) {
    ssize_t n = ::read(saved.fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {  // as dockerd: the error goes into the stream
      (void)w.write_chunk(error_line(Error{errc_from_errno(errno), errno, "reading the saved archive"}));
      break;
    }
    if (n == 0) break;
    if (!w.write_chunk(std::string_view(buf.data(), static_cast<size_t>(n)))) return {};
  }
  return w.end_stream();
}

ojson delete_items(const std::vector<backend::ImageDeleteItem>& items) {
  ojson out = ojson::array();
  for (const auto& it : items) out.push_back(ojson{{it.untagged ? "Untagged" : "Deleted", it.value}});
  return out;
}

}  // namespace

void add_image_routes(Router& router, ImageBackend& images) {
  ImageBackend* b = &images;
  // Fixed paths first: the router takes the first pattern that matches.
  router.add("GET", "/images/json", [b](Request& req, ResponseWriter& w) -> Result<void> {
    return send_json(w, 200, TRY(b->image_list({.all = req.q_bool("all"), .filters = list_filters(req)})));
  });
  router.add("GET", "/images/get", [b](Request& req, ResponseWriter& w) {
    std::vector<std::string> names;
    for (auto [it, end] = req.query.equal_range("names"); it != end; ++it) names.push_back(it->second);
    return save_images(names, w, *b);
  });
  router.add("POST", "/images/load", [b](Request& req, ResponseWriter& w) { return load_images(req, w, *b); });
  router.add("POST", "/images/prune", [b](Request& req, ResponseWriter& w) -> Result<void> {
    return send_json(w, 200, TRY(b->image_prune(req.q("filters").value_or(""))));
  });
  router.add("GET", "/images/{name...}/json", [b](Request& req, ResponseWriter& w) -> Result<void> {
    return send_json(w, 200, TRY(b->image_inspect(req.params[0], req.api_minor)));
  });
  router.add("GET", "/images/{name...}/history", [b](Request& req, ResponseWriter& w) -> Result<void> {
    return send_json(w, 200, TRY(b->image_history(req.params[0])));
  });
  router.add("GET", "/images/{name...}/get", [b](Request& req, ResponseWriter& w) {
    return save_images({req.params[0]}, w, *b);
  });
  router.add("POST", "/images/{name...}/tag", [b](Request& req, ResponseWriter& w) -> Result<void> {
    TRYV(b->image_tag(req.params[0], req.q("repo").value_or(""), req.q("tag").value_or("")));
    return w.send(201, "", "");
  });
  router.add("DELETE", "/images/{name...}", [b](Request& req, ResponseWriter& w) -> Result<void> {
    return send_json(w, 200, delete_items(TRY(b->image_remove(req.params[0], req.q_bool("force"), req.q_bool("noprune")))));
  });
}

// POST /images/create is two verbs: an import (fromSrc) and a pull
// (fromImage); the pull belongs to the distribution area.
static Result<void> images_create(Request& req, ResponseWriter& w, ImageBackend& images,
                                  backend::DistributionBackend& distribution) {
  if (auto from = req.q("fromImage"); from && !from->empty()) {
    std::string ref = *from;
    if (auto tag = req.q("tag"); tag && !tag->empty()) ref += (tag->rfind("sha256:", 0) == 0 ? "@" : ":") + *tag;
    bool streaming = false;
    auto progress = [&](const std::string& line) {
      if (!streaming) streaming = w.begin_stream(200, "application/json").has_value();
      return streaming && w.write_chunk(line).has_value();
    };
    backend::PullRequest pull{ref, req.q("platform").value_or(""), {}};
    pull.auth.header = req.header("x-registry-auth");
    TRYV(distribution.pull(pull, progress));
    return streaming ? w.end_stream() : w.send(200, "application/json", "");
  }
  return import_image(req, w, images);
}

void add_image_create_route(Router& router, ImageBackend& images, backend::DistributionBackend& distribution) {
  router.add("POST", "/images/create", [&images, &distribution](Request& req, ResponseWriter& w) {
    return images_create(req, w, images, distribution);
  });
}

}  // namespace berth::server
