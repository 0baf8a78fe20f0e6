#include "buildfs/download.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "buildfs/in_root.h"
#include "content/digest.h"

namespace berth::buildfs {
namespace {

constexpr const char* kUnnamed = "__unnamed__";  // Docker's unnamedFilename
constexpr size_t kMaxErrorBody = 4096;

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
  void operator()(char* s) const { curl_free(s); }
};

// Go's filepath.Base for a name from the server: "" for nothing usable.
std::string usable_base(std::string_view path) {
  if (path.empty() || path.ends_with('/')) return "";
  auto slash = path.rfind('/');
  std::string base(slash == std::string_view::npos ? path : path.substr(slash + 1));
  if (base == "." || base == ".." || base.find('\0') != std::string::npos) return "";
  return base;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The filename parameter of a Content-Disposition value (mime.ParseMediaType's
// way: a token or a quoted string; filename* in RFC 5987's UTF-8''... form wins).
std::string disposition_filename(std::string_view v) {
  std::string plain, extended;
  for (size_t i = v.find(';'); i != std::string_view::npos; i = v.find(';', i)) {
    ++i;
    size_t eq = v.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key = ascii_lower(trim(v.substr(i, eq - i)));
    i = eq + 1;
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    std::string value;
    if (i < v.size() && v[i] == '"') {
      for (++i; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        value += v[i];
      }
    } else {
      size_t end = v.find(';', i);
      value = std::string(trim(v.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i)));
      i = end == std::string_view::npos ? v.size() : end;
    }
    if (key == "filename") plain = value;
    auto q = value.find("''");
    if (key == "filename*" && q != std::string::npos && ascii_lower(value.substr(0, q)) == "utf-8")
      extended = percent_decode(value.substr(q + 2));
  }
  return extended.empty() ? plain : extended;
}

bool loopback_host(const std::string& host) {
  std::string h = ascii_lower(host);
  return h == "localhost" || h.starts_with("127.") || h == "::1" || h == "[::1]";
}

const char* status_text(long code) {
  switch (code) {
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

struct Transfer {
  Transfer(CURL* e, int f, content::Hasher h, const DownloadProgress* p)
      : easy(e), fd(f), hasher(std::move(h)), progress(p) {}

  CURL* easy;
  int fd;
  content::Hasher hasher;
  uint64_t size = 0;
  std::string reason;       // of the last status line
  std::string disposition;  // Content-Disposition of the last response
  std::string error_body;   // a failed response's body, cut
  std::optional<Error> write_error;
  const DownloadProgress* progress;
  bool cancelled = false;

  bool ok_status() const {
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    return code >= 200 && code < 300;
  }

  static size_t on_header(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    std::string_view line(data, size * n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {  // a new response (after a redirect or a 100): forget the last one's
      t->disposition.clear();
      auto sp1 = line.find(' ');
      auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
      t->reason = sp2 == std::string_view::npos ? "" : std::string(trim(line.substr(sp2 + 1)));
    } else if (auto colon = line.find(':'); colon != std::string_view::npos &&
                                              ascii_lower(line.substr(0, colon)) == "content-disposition") {
      t->disposition = std::string(trim(line.substr(colon + 1)));
    }
    return size * n;
  }

  static size_t on_body(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    size_t len = size * n;
    if (!t->ok_status()) {  // an error page: kept for the message, not the file
      t->error_body.append(data, std::min(len, kMaxErrorBody - std::min(kMaxErrorBody, t->error_body.size())));
      return len;
    }
    t->hasher.update(data, len);
    for (size_t done = 0; done < len;) {
      ssize_t w = ::write(t->fd, data + done, len - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        t->write_error = fail_errno("writing the download").error();
        return 0;  // curl stops with CURLE_WRITE_ERROR
      }
      done += static_cast<size_t>(w);
    }
    t->size += len;
    return len;
  }

  static int on_progress(void* self, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(self);
    if (!*t->progress || !t->ok_status()) return 0;
    std::optional<uint64_t> known;
    if (total > 0) known = static_cast<uint64_t>(total);
    if ((*t->progress)(static_cast<uint64_t>(now), known)) return 0;
    t->cancelled = true;
    return 1;
  }
};

// Go's words for what went wrong before a response.
std::string transport_error(CURLcode rc, const char* detail, long os_errno, const std::string& host_port) {
  std::string d = detail && *detail ? detail : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
      if (os_errno) return "dial tcp " + host_port + ": connect: " + go_strerror(static_cast<int>(os_errno));
      return "dial tcp " + host_port + ": " + d;
    case CURLE_COULDNT_RESOLVE_HOST: return "dial tcp: lookup " + host_port + ": no such host";
    case CURLE_OPERATION_TIMEDOUT: return "dial tcp " + host_port + ": i/o timeout";
    case CURLE_PEER_FAILED_VERIFICATION: return "x509: " + d;
    case CURLE_TOO_MANY_REDIRECTS: return "stopped after 10 redirects";
    case CURLE_GOT_NOTHING: return "EOF";
    default: return d;
  }
}

Errc errc_for_status(long code) {
  switch (code) {
    case 404: return Errc::NotFound;
    case 400: return Errc::InvalidArgument;
    case 401:
    case 403: return Errc::PermissionDenied;
    default: return Errc::Internal;
  }
}

}  // namespace

Result<Download> download_url(const std::string& url, const std::string& dir) {
  return download_url(url, dir, DownloadProgress{});
}

Result<Download> download_url(const std::string& url, const std::string& dir, const DownloadProgress& progress) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  std::unique_ptr<CURLU, CurlFree> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return fail(Errc::InvalidArgument, "invalid URL " + url);
  auto part = [&](CURLUPart which, unsigned flags = 0) {
    char* p = nullptr;
    std::string out;
    if (curl_url_get(u.get(), which, &p, flags) == CURLUE_OK && p) out = p;
    curl_free(p);
    return out;
  };
  std::string scheme = ascii_lower(part(CURLUPART_SCHEME));
  if (scheme != "http" && scheme != "https") return fail(Errc::InvalidArgument, "unsupported URL scheme in " + url);
  std::string host = part(CURLUPART_HOST);
  std::string port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  std::string host_port = (host.find(':') != std::string::npos && !host.starts_with('[') ? "[" + host + "]" : host) +
                          ":" + port;
  std::string name = usable_base(part(CURLUPART_PATH, CURLU_URLDECODE));

  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return fail_errno("opening the download directory " + dir);
  const char* partial = ".berth-download.partial";
  UniqueFd fd(::openat(dir_fd.get(), partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("creating a file in " + dir + " for " + url);
  bool keep = false;
  struct Cleanup {
    int dirfd;
    const char* name;
    bool& keep;
    ~Cleanup() {
      if (!keep) ::unlinkat(dirfd, name, 0);
    }
  } cleanup{dir_fd.get(), partial, keep};

  std::unique_ptr<CURL, CurlFree> easy(curl_easy_init());
  if (!easy) return fail(Errc::Internal, "allocating an HTTP client");
  Transfer t(easy.get(), fd.get(), TRY(content::Hasher::create()), &progress);
  char errbuf[CURL_ERROR_SIZE] = {};
  CURL* e = easy.get();
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "Go-http-client/1.1");  // what dockerd's http.Get sends
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");         // and Go's transport decodes
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(e, CURLOPT_FILETIME, 1L);
  if (loopback_host(host)) curl_easy_setopt(e, CURLOPT_NOPROXY, "*");  // Go never proxies loopback
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &Transfer::on_progress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, &t);

  CURLcode rc = curl_easy_perform(e);
  if (t.write_error) return std::unexpected(std::move(*t.write_error).wrap("downloading " + url));
  if (t.cancelled) return fail(Errc::Unavailable, "download of " + url + " cancelled");
  if (rc != CURLE_OK) {
    long os_errno = 0;
    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
    return fail(Errc::Unavailable, "Get \"" + url + "\": " + transport_error(rc, errbuf, os_errno, host_port));
  }
  long code = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
  if (code < 200 || code >= 300) {
    std::string reason = t.reason.empty() ? status_text(code) : t.reason;
    std::string status = std::to_string(code) + (reason.empty() ? "" : " " + reason);
    return fail(errc_for_status(code), "failed to GET " + url + " with status " + status + ": " +
                                           std::string(trim(t.error_body)));
  }
  if (name.empty()) name = usable_base(disposition_filename(t.disposition));

  Download out;
  curl_off_t filetime = -1;
  if (curl_easy_getinfo(e, CURLINFO_FILETIME_T, &filetime) == CURLE_OK && filetime >= 0) out.mtime = filetime;
  // Docker sets both times, to Last-Modified or to its zero time (the epoch).
  timespec times[2] = {{out.mtime.value_or(0), 0}, {out.mtime.value_or(0), 0}};
  if (::futimens(fd.get(), times) != 0) return fail_errno("setting the times of the download");
  std::string file = name.empty() ? kUnnamed : name;
  if (::renameat2(dir_fd.get(), partial, dir_fd.get(), file.c_str(), RENAME_NOREPLACE) != 0)
    return fail_errno("naming the download " + file + " in " + dir);
  keep = true;
  out.path = dir + "/" + file;
  out.name = name;
  out.size = t.size;
  out.digest = t.hasher.finish().str();
  return out;
}

}  // namespace berth::buildfs
