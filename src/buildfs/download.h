// ADD <http(s) url>: Docker's legacy builder's downloadSource.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/error.h"

namespace berth::buildfs {

struct Download {
  std::string path;              // the file written (in dir)
  std::string name;              // its name in the image: "" when the URL gives none
  std::optional<int64_t> mtime;  // Last-Modified (Unix seconds), when sent
  uint64_t size = 0;
  std::string digest;            // "sha256:<hex>" of the content
};

// Progress of a download: bytes so far and the total when the server said
// it. Returning false stops the download (Unavailable, "download of URL
// cancelled").
using DownloadProgress = std::function<bool(uint64_t done, std::optional<uint64_t> total)>;

// ADD <http(s) url>: downloaded with libcurl into dir (which exists; one
// per download, as Docker's temporary directory: the name must be free) as
// dir/<name> (dir/__unnamed__ when there is no name), mode 0600 as Docker.
// name = the URL path's last element, percent-decoded, else the
// Content-Disposition filename (Docker's getFilenameForDownload), else ""
// ("." and ".." count as none). Copy it with copy_sources from dir with
// extract_archives off: Docker never extracts a download.
// mtime of the file = Last-Modified when sent, else the Unix epoch (Docker's
// zero time). Redirects followed (10 at most, as Go's client); the proxy
// variables are honoured except for loopback hosts (as Go); a non-2xx status
// is an error: "failed to GET URL with status 404 Not Found: <body>"
// (Docker's words, the body cut at 4 KiB; NotFound for 404, InvalidArgument
// for 400, PermissionDenied for 401 and 403, Internal otherwise, as
// Docker's errdefs). Never extracted. A transport failure reads as Go's:
// `Get "URL": dial tcp HOST:PORT: connect: connection refused`.
Result<Download> download_url(const std::string& url, const std::string& dir);
Result<Download> download_url(const std::string& url, const std::string& dir, const DownloadProgress& progress);

}  // namespace berth::buildfs
