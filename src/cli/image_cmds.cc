// images (image ls), rmi, tag, history, import, load, save, image prune, image inspect.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/command.h"
#include "cli/json_lines.h"
#include "cli/filters.h"
#include "cli/inspect.h"
#include "cli/stream.h"
#include "cli/table.h"
#include "cli/units.h"

namespace berth::cli {

Result<void> download(Cli& cli, const std::string& path, int to);
Result<int> open_output(const std::string& file, const char* what);
void add_container_prune(Invocation& inv, CLI::App* parent);

namespace {

// "repo:tag" -> {repo, tag}; the tag's colon is after the last slash.
std::pair<std::string, std::string> split_tag(const std::string& ref) {
  size_t colon = ref.rfind(':');
  if (colon == std::string::npos || ref.find('/', colon) != std::string::npos) return {ref, ""};
  return {ref.substr(0, colon), ref.substr(colon + 1)};
}

std::vector<Json> image_rows(const Json& img, bool trunc, int64_t now) {
  std::string id = img.value("Id", "");
  int64_t created = img.value("Created", int64_t{0});
  double size = img.value("Size", 0.0);
  Json base;
  base["Containers"] = img.value("Containers", -1) < 0 ? "N/A" : std::to_string(img.value("Containers", 0));
  base["CreatedAt"] = go_time_string(created);
  base["CreatedSince"] = human_duration(now - created) + " ago";
  base["ID"] = trunc ? short_id(id) : id;
  base["SharedSize"] = img.value("SharedSize", -1) < 0 ? "N/A" : human_size(img.value("SharedSize", 0.0));
  base["Size"] = human_size(size);
  base["UniqueSize"] = "N/A";
  base["VirtualSize"] = human_size(img.value("VirtualSize", size), 4);
  std::vector<std::string> tags, digests;
  for (const auto& t : img.value("RepoTags", Json::array())) {
    if (t.is_string() && t != "<none>:<none>") tags.push_back(t.get<std::string>());
  }
  for (const auto& d : img.value("RepoDigests", Json::array())) {
    if (d.is_string() && d != "<none>@<none>") digests.push_back(d.get<std::string>());
  }
  auto digest_for = [&](const std::string& repo) -> std::string {
    for (const auto& d : digests) {
      size_t at = d.find('@');
      if (d.substr(0, at) == repo) return d.substr(at + 1);
    }
    return "<none>";
  };
  std::vector<Json> rows;
  auto add = [&](const std::string& repo, const std::string& tag, const std::string& digest) {
    Json r = base;
    r["Repository"] = repo;
    r["Tag"] = tag;
    r["Digest"] = digest;
    rows.push_back(r);
  };
  for (const auto& t : tags) {
    auto [repo, tag] = split_tag(t);
    add(repo, tag.empty() ? "<none>" : tag, digest_for(repo));
  }
  if (tags.empty()) {
    for (const auto& d : digests) {
      size_t at = d.find('@');
      add(d.substr(0, at), "<none>", d.substr(at + 1));
    }
  }
  if (rows.empty()) add("<none>", "<none>", "<none>");
  // docker orders Go's struct fields alphabetically in {{json .}}: keep that.
  for (auto& r : rows) {
    Json sorted;
    std::vector<std::string> keys;
    for (auto it = r.begin(); it != r.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) sorted[k] = r[k];
    r = sorted;
  }
  return rows;
}

// A JSON message stream (load, import): "stream"/"status" lines printed,
// "error" returned.
struct JsonMessages {
  JsonLines lines;
  std::string error;
  void feed(std::string_view data) {
    lines.feed(data, [&](const std::string& line) { handle(line); });
  }
  void handle(const std::string& line) {
    Json j = Json::parse(line, nullptr, false);
    if (!j.is_object()) return;
    if (j.contains("error")) {
      error = j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump();
    } else if (j.contains("stream") && j["stream"].is_string()) {
      out(j["stream"].get<std::string>());
    } else if (j.contains("status") && j["status"].is_string()) {
      outf("{}\n", j["status"].get<std::string>());
    }
  }
  Result<void> finish() {
    lines.finish([&](const std::string& line) { handle(line); });
    if (!error.empty()) return fail(Errc::Internal, error);
    return {};
  }
};

Result<int> upload_messages(Cli& cli, const std::string& path, int fd, bool progress) {
  api::Client* c = TRY(cli.client());
  std::function<void(uint64_t)> report;
  if (progress) report = [](uint64_t sent) { errf("\rLoading {}", human_size(static_cast<double>(sent))); };
  api::Response r = TRY(c->upload("POST", path, fd, "application/x-tar", report));
  if (progress) err("\n");
  TRYV(check(r));
  JsonMessages msgs;
  msgs.feed(r.body);
  TRYV(msgs.finish());
  return 0;
}

}  // namespace

void add_images(Invocation& inv, CLI::App* parent, const std::string& name) {
  if (!inv.wants(parent, name)) return;
  Cli& cli = inv.cli;
  struct O {
    std::vector<std::string> args, filters;
    bool all = false, quiet = false, digests = false, no_trunc = false;
    std::string format;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, parent, name, "[OPTIONS] [REPOSITORY[:TAG]]", "List images", &o->args, {0, 1},
                              [&cli, o]() -> Result<int> {
    std::vector<std::string> filters = o->filters;
    if (!o->args.empty()) filters.push_back("reference=" + o->args[0]);
    std::string q = "/images/json";
    std::string sep = "?";
    if (o->all) q += sep + "all=1", sep = "&";
    if (!filters.empty()) q += sep + "filters=" + url_encode(filters_json(filters));
    Json list = TRY(cli.get_json(q));
    int64_t now = unix_now();
    std::vector<Json> rows;
    for (const auto& img : list) {
      auto r = image_rows(img, !o->no_trunc, now);
      rows.insert(rows.end(), r.begin(), r.end());
    }
    if (o->quiet) {
      std::vector<std::string> seen;
      for (const auto& r : rows) {
        std::string id = r["ID"].get<std::string>();
        if (std::find(seen.begin(), seen.end(), id) == seen.end()) seen.push_back(id), outf("{}\n", id);
      }
      return 0;
    }
    std::string def = o->digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                                 : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    Json header{{"Containers", "CONTAINERS"}, {"CreatedAt", "CREATED AT"}, {"CreatedSince", "CREATED"},
                {"Digest", "DIGEST"},         {"ID", "IMAGE ID"},          {"Repository", "REPOSITORY"},
                {"SharedSize", "SHARED SIZE"}, {"Size", "SIZE"},           {"Tag", "TAG"},
                {"UniqueSize", "UNIQUE SIZE"}, {"VirtualSize", "VIRTUAL SIZE"}};
    auto text = render_list(o->format, def, header, rows);
    if (!text) return fail(Errc::InvalidArgument, "template parsing error: " + text.error().message);
    out(*text);
    return 0;
  });
  add_bool(app, "-a,--all", o->all, "Show all images (default hides intermediate images)");
  add_bool(app, "--digests", o->digests, "Show digests");
  add_list(app, "-f,--filter", o->filters, "Filter output based on conditions provided", "filter");
  add_string(app, "--format", o->format, "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')");
  add_bool(app, "--no-trunc", o->no_trunc, "Don't truncate output");
  add_bool(app, "-q,--quiet", o->quiet, "Only show image IDs");
}

void add_rmi(Invocation& inv, CLI::App* parent, const std::string& name) {
  if (!inv.wants(parent, name)) return;
  Cli& cli = inv.cli;
  struct O { std::vector<std::string> args; bool force = false, no_prune = false; };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, parent, name, "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", &o->args,
                              {1}, [&cli, o]() -> Result<int> {
    int rc = 0;
    for (const auto& img : o->args) {
      auto r = cli.call("DELETE", fmt::format("/images/{}?force={}&noprune={}", url_encode(img), o->force ? 1 : 0,
                                              o->no_prune ? 1 : 0));
      if (!r) {
        err(r.error().str() + "\n");
        rc = 1;
        continue;
      }
      Json j = Json::parse(r->body, nullptr, false);
      if (!j.is_array()) continue;
      for (const auto& item : j) {
        if (item.contains("Untagged")) outf("Untagged: {}\n", item["Untagged"].get<std::string>());
        if (item.contains("Deleted")) outf("Deleted: {}\n", item["Deleted"].get<std::string>());
      }
    }
    return rc;
  });
  add_bool(app, "-f,--force", o->force, "Force removal of the image");
  add_bool(app, "--no-prune", o->no_prune, "Do not delete untagged parents");
}

void add_image_commands(Invocation& inv, CLI::App* parent, bool in_group) {
  Cli& cli = inv.cli;
  if (in_group) {
    add_images(inv, parent, "ls");
    add_images(inv, parent, "list");
    add_rmi(inv, parent, "rm");
    if (inv.wants(parent, "inspect")) {
      struct O { std::vector<std::string> args; std::string format; };
      auto o = std::make_shared<O>();
      CLI::App* app = add_command(inv, parent, "inspect", "[OPTIONS] IMAGE [IMAGE...]",
                                  "Display detailed information on one or more images", &o->args, {1},
                                  [&cli, o] { return inspect_objects(cli, o->args, o->format, InspectType::Image, false); });
      add_string(app, "-f,--format", o->format, "Format output using a custom template");
    }
    if (inv.wants(parent, "prune")) {
      struct O { bool force = false, all = false; std::vector<std::string> filters; };
      auto o = std::make_shared<O>();
      CLI::App* app = add_command(inv, parent, "prune", "[OPTIONS]", "Remove unused images", nullptr, {},
                                  [&cli, o]() -> Result<int> {
        std::string warning = o->all ? "WARNING! This will remove all images without at least one container associated to them."
                                     : "WARNING! This will remove all dangling images.";
        if (!o->force && !confirm_prompt(warning)) return 0;
        std::vector<std::string> filters = o->filters;
        filters.push_back(o->all ? "dangling=false" : "dangling=true");
        api::Response r = TRY(cli.call("POST", "/images/prune?filters=" + url_encode(filters_json(filters))));
        Json j = Json::parse(r.body, nullptr, false);
        Json deleted = j.is_object() ? j.value("ImagesDeleted", Json::array()) : Json::array();
        if (deleted.is_array() && !deleted.empty()) {
          out("Deleted Images:\n");
          for (const auto& d : deleted) {
            if (d.contains("Untagged")) outf("untagged: {}\n", d["Untagged"].get<std::string>());
            if (d.contains("Deleted")) outf("deleted: {}\n", d["Deleted"].get<std::string>());
          }
          out("\n");
        }
        outf("Total reclaimed space: {}\n", human_size(j.is_object() ? j.value("SpaceReclaimed", 0.0) : 0.0));
        return 0;
      });
      add_bool(app, "-a,--all", o->all, "Remove all unused images, not just dangling ones");
      add_list(app, "--filter", o->filters, "Provide filter values (e.g. \"until=<timestamp>\")", "filter");
      add_bool(app, "-f,--force", o->force, "Do not prompt for confirmation");
    }
  } else {
    add_images(inv, parent, "images");
    add_rmi(inv, parent, "rmi");
  }
  if (inv.wants(parent, "tag")) {
    auto args = std::make_shared<std::vector<std::string>>();
    add_command(inv, parent, "tag", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
                "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", args.get(), {2, 2}, [&cli, args]() -> Result<int> {
      auto [repo, tag] = split_tag((*args)[1]);
      std::string q = "/images/" + url_encode((*args)[0]) + "/tag?repo=" + url_encode(repo);
      if (!tag.empty()) q += "&tag=" + url_encode(tag);
      TRYV(cli.call("POST", q));
      return 0;
    });
  }
  if (inv.wants(parent, "history")) {
    struct O { std::vector<std::string> args; bool human = true, quiet = false, no_trunc = false; std::string format; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "history", "[OPTIONS] IMAGE", "Show the history of an image", &o->args,
                                {1, 1}, [&cli, o]() -> Result<int> {
      Json list = TRY(cli.get_json("/images/" + url_encode(o->args[0]) + "/history"));
      int64_t now = unix_now();
      std::vector<Json> rows;
      for (const auto& h : list) {
        Json r;
        std::string id = h.value("Id", "");
        r["Comment"] = h.value("Comment", "");
        int64_t created = h.value("Created", int64_t{0});
        r["CreatedAt"] = o->human ? go_time_string(created) : std::to_string(created);
        std::string by = h.value("CreatedBy", "");
        std::replace(by.begin(), by.end(), '\t', ' ');
        r["CreatedBy"] = o->no_trunc ? by : ellipsis(by, 45);
        r["CreatedSince"] = o->human ? human_duration(now - created) + " ago" : go_time_string(created);
        r["ID"] = id == "<missing>" || o->no_trunc ? id : short_id(id);
        double size = h.value("Size", 0.0);
        r["Size"] = o->human ? human_size(size) : std::to_string(static_cast<int64_t>(size));
        rows.push_back(r);
      }
      if (o->quiet) {
        for (const auto& r : rows) outf("{}\n", r["ID"].get<std::string>());
        return 0;
      }
      Json header{{"Comment", "COMMENT"}, {"CreatedAt", "CREATED AT"}, {"CreatedBy", "CREATED BY"},
                  {"CreatedSince", "CREATED"}, {"ID", "IMAGE"}, {"Size", "SIZE"}};
      auto text = render_list(o->format, "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
                              header, rows);
      if (!text) return fail(Errc::InvalidArgument, "template parsing error: " + text.error().message);
      out(*text);
      return 0;
    });
    add_string(app, "--format", o->format, "Format output using a custom template");
    add_bool(app, "-H,--human", o->human, "Print sizes and dates in human readable format (default true)");
    add_bool(app, "--no-trunc", o->no_trunc, "Don't truncate output");
    add_bool(app, "-q,--quiet", o->quiet, "Only show image IDs");
  }
  if (inv.wants(parent, "import")) {
    struct O { std::vector<std::string> args, changes; std::string message, platform; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "import", "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
                                "Import the contents from a tarball to create a filesystem image", &o->args, {1, 2},
                                [&cli, o]() -> Result<int> {
      const std::string& src = o->args[0];
      if (src.starts_with("http://") || src.starts_with("https://")) {
        return fail(Errc::Unsupported, "berth import does not fetch URLs yet: download the file and import it");
      }
      std::string q = "/images/create?fromSrc=-";
      if (o->args.size() == 2) {
        auto [repo, tag] = split_tag(o->args[1]);
        q += "&repo=" + url_encode(repo);
        if (!tag.empty()) q += "&tag=" + url_encode(tag);
      }
      if (!o->message.empty()) q += "&message=" + url_encode(o->message);
      for (const auto& c : o->changes) q += "&changes=" + url_encode(c);
      int fd = 0;
      if (src != "-") {
        fd = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return fail_errno(fmt::format("open {}", src));
      }
      auto rc = upload_messages(cli, q, fd, false);
      if (fd != 0) ::close(fd);
      return rc;
    });
    add_list(app, "-c,--change", o->changes, "Apply Dockerfile instruction to the created image");
    add_string(app, "-m,--message", o->message, "Set commit message for imported image");
  }
  if (inv.wants(parent, "load")) {
    struct O { std::string input; bool quiet = false; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "load", "[OPTIONS]", "Load an image from a tar archive or STDIN", nullptr,
                                {}, [&cli, o]() -> Result<int> {
      int fd = 0;
      if (!o->input.empty()) {
        fd = ::open(o->input.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return fail_errno(fmt::format("open {}", o->input));
      } else if (is_terminal(0)) {
        return fail(Errc::InvalidArgument, "requested load from stdin, but stdin is empty");
      }
      // As docker: progress only for a terminal.
      bool quiet = o->quiet || !is_terminal(1);
      auto rc = upload_messages(cli, quiet ? "/images/load?quiet=1" : "/images/load?quiet=0", fd,
                                !o->quiet && is_terminal(2));
      if (fd != 0) ::close(fd);
      return rc;
    });
    add_string(app, "-i,--input", o->input, "Read from tar archive file, instead of STDIN");
    add_bool(app, "-q,--quiet", o->quiet, "Suppress the load output");
  }
  if (inv.wants(parent, "save")) {
    struct O { std::vector<std::string> args; std::string output; };
    auto o = std::make_shared<O>();
    CLI::App* app = add_command(inv, parent, "save", "[OPTIONS] IMAGE [IMAGE...]",
                                "Save one or more images to a tar archive (streamed to STDOUT by default)", &o->args,
                                {1}, [&cli, o]() -> Result<int> {
      std::string q = "/images/get?";
      for (size_t i = 0; i < o->args.size(); ++i) q += (i ? "&names=" : "names=") + url_encode(o->args[i]);
      int fd = TRY(open_output(o->output, "image"));
      auto r = download(cli, q, fd);
      if (fd != 1) ::close(fd);
      if (!r) return std::unexpected(r.error());
      return 0;
    });
    add_string(app, "-o,--output", o->output, "Write to a file, instead of STDOUT");
  }
}

}  // namespace berth::cli
