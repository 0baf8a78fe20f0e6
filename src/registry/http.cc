#include "registry/http.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "base/strings.h"

namespace berth::registry {

std::string go_method(const std::string& m) {
  if (m.empty()) return "Get";
  std::string out = ascii_lower(m);
  out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

namespace {

struct Transfer {
  HttpResponse response;
  const BodySink* sink = nullptr;
  size_t max_body = 0;
  bool truncated = false;
  bool sink_stopped = false;
  uint64_t skip = 0;  // a range the server ignored: the bytes before it, to drop
  CURL* easy = nullptr;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect or a 100): start over
    t->response.headers.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos)
    t->response.headers.emplace(ascii_lower(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  if (t->sink && status >= 200 && status < 300) {
    if (status == 200 && t->skip) {
      size_t drop = static_cast<size_t>(std::min<uint64_t>(t->skip, len));
      t->skip -= drop;
      data += drop;
      len -= drop;
      if (!len) return size * n;
    }
    if (!(*t->sink)(std::string_view(data, len))) {
      t->sink_stopped = true;
      return 0;  // makes curl fail with CURLE_WRITE_ERROR
    }
    return size * n;
  }
  size_t room = t->max_body > t->response.body.size() ? t->max_body - t->response.body.size() : 0;
  if (len > room) t->truncated = true;
  t->response.body.append(data, std::min(len, room));
  return len;
}

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  const auto* source = static_cast<const std::function<ssize_t(char*, size_t)>*>(user);
  ssize_t got = (*source)(buf, size * n);
  return got < 0 ? CURL_READFUNC_ABORT : static_cast<size_t>(got);
}

// Adds the PEM certificates of each file to the context's store, beside the
// system's (CURLOPT_CAINFO would replace them). A file without one is an error.
CURLcode add_ca(CURL*, void* ssl_ctx, void* user) {
  const auto* paths = static_cast<const std::vector<std::string>*>(user);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  for (const auto& path : *paths) {
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return CURLE_SSL_CACERT_BADFILE;
    int added = 0;
    while (X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr)) {
      if (X509_STORE_add_cert(store, cert) == 1) ++added;
      X509_free(cert);
    }
    std::fclose(f);
    ERR_clear_error();  // the end of the file leaves "no start line" queued
    if (!added) return CURLE_SSL_CACERT_BADFILE;
  }
  return CURLE_OK;
}

// "host:port" of a URL, for Go-style "dial tcp HOST:PORT" messages.
std::string authority_of(const std::string& url) {
  auto start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  auto end = url.find('/', start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string reason_of(CURLcode rc, const char* detail, long os_errno, const HttpRequest& r) {
  std::string d = detail && *detail ? detail : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED) return "dial tcp " + authority_of(r.url) + ": connect: connection refused";
      if (os_errno) return "dial tcp " + authority_of(r.url) + ": connect: " + std::strerror(static_cast<int>(os_errno));
      return "dial tcp " + authority_of(r.url) + ": " + d;
    case CURLE_COULDNT_RESOLVE_HOST: return "dial tcp: lookup: no such host (" + d + ")";
    case CURLE_OPERATION_TIMEDOUT: return "i/o timeout (" + d + ")";
    case CURLE_PEER_FAILED_VERIFICATION:
      if (d.find("self-signed") != std::string::npos || d.find("unable to get local issuer") != std::string::npos ||
          d.find("self signed") != std::string::npos)
        return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
      if (d.find("match") != std::string::npos || d.find("subject") != std::string::npos)
        return "tls: failed to verify certificate: x509: certificate is not valid for this host (" + d + ")";
      return "tls: failed to verify certificate: x509: " + d;
    case CURLE_SSL_CONNECT_ERROR:
      if (d.find("wrong version number") != std::string::npos || d.find("packet length too long") != std::string::npos)
        return "http: server gave HTTP response to HTTPS client";
      return "tls: " + d;
    case CURLE_SSL_CACERT_BADFILE: {
      std::string files;
      for (const auto& f : r.tls.ca_files) files += (files.empty() ? "" : ", ") + f;
      return "could not read CA certificate " + files;
    }
    case CURLE_SSL_CERTPROBLEM: return "could not load client certificate " + r.tls.client_cert + ": " + d;
    case CURLE_GOT_NOTHING: return "EOF";
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR: return "connection reset (" + d + ")";
    default: return d;
  }
}

}  // namespace

struct Http::Shared {
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Shared*>(user)->locks[static_cast<size_t>(data)].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Shared*>(user)->locks[static_cast<size_t>(data)].unlock();
  }
};

Http::Http() : shared_(std::make_unique<Shared>()) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  shared_->share = curl_share_init();
  curl_share_setopt(shared_->share, CURLSHOPT_LOCKFUNC, &Shared::lock);
  curl_share_setopt(shared_->share, CURLSHOPT_UNLOCKFUNC, &Shared::unlock);
  curl_share_setopt(shared_->share, CURLSHOPT_USERDATA, shared_.get());
  curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

Http::~Http() {
  if (shared_->share) curl_share_cleanup(shared_->share);
}

Result<HttpResponse> Http::send(const HttpRequest& r, const BodySink* sink, size_t max_body) {
  CURL* easy = curl_easy_init();
  if (!easy) return fail(Errc::Internal, "libcurl could not make a request handle");
  Transfer t;
  t.sink = sink;
  t.max_body = max_body;
  t.easy = easy;
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_slist* headers = nullptr;
  for (const auto& h : r.headers) headers = curl_slist_append(headers, h.c_str());
  if (r.body_source && r.body_chunked) headers = curl_slist_append(headers, "Transfer-Encoding: chunked");

  curl_easy_setopt(easy, CURLOPT_SHARE, shared_->share);
  curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "berth (docker/28 compatible)");
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, r.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, r.connect_timeout_ms);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, r.low_speed_bytes);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, r.low_speed_seconds);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, nullptr);  // blobs are hashed as sent: no transfer decoding
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, r.tls.verify ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, r.tls.verify ? 2L : 0L);
  if (!r.tls.ca_files.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &add_ca);
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, &r.tls.ca_files);
  }
  if (!r.tls.client_cert.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERT, r.tls.client_cert.c_str());
    curl_easy_setopt(easy, CURLOPT_SSLKEY, r.tls.client_key.c_str());
  }
  std::string range;
  if (r.range_from) {
    t.skip = *r.range_from;  // used only if the answer is a 200 with the whole body
    range = std::to_string(*r.range_from) + "-";
    curl_easy_setopt(easy, CURLOPT_RANGE, range.c_str());
  }
  if (r.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (r.body_source) {
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);  // PUT by default; the method below if another
    if (r.method != "PUT") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(easy, CURLOPT_READDATA, &r.body_source);
    if (!r.body_chunked) curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.body_size));
  } else if (r.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  }

  CURLcode rc = curl_easy_perform(easy);
  long os_errno = 0;
  curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  char* effective = nullptr;
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective);
  if (effective) t.response.effective_url = effective;
  curl_slist_free_all(headers);
  curl_easy_cleanup(easy);

  if (t.sink_stopped) return fail(Errc::Internal, go_method(r.method) + " \"" + r.url + "\": transfer stopped");
  if (rc != CURLE_OK)
    return fail(Errc::Unavailable, go_method(r.method) + " \"" + r.url + "\": " + reason_of(rc, errbuf, os_errno, r));
  t.response.status = status;
  return std::move(t.response);
}

std::optional<std::string> HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> HttpResponse::headers_named(const std::string& lower_name) const {
  std::vector<std::string> out;
  auto [b, e] = headers.equal_range(lower_name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

std::string url_escape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace berth::registry
