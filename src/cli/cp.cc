// berth cp: tar over the archive endpoints (GET/HEAD/PUT), built and
// extracted here with libarchive (loaded by cp alone, libarchive.h), with
// docker-cli's path rules (cp_path.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/container_copy.h"
#include "cli/cp_path.h"
#include "cli/libarchive.h"
#include "cli/stream.h"
#include "cli/units.h"

namespace berth::cli {

namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

Result<UniqueFd> temp_file() {
  const char* dir = std::getenv("TMPDIR");
  UniqueFd fd(::open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("creating a temporary file for the copy");
  return fd;
}

Error archive_error(const LibArchive& la, struct archive* a, const std::string& what) {
  const char* msg = la.archive_error_string(a);
  return Error{Errc::Internal, 0, fmt::format("{}: {}", what, msg ? msg : "unknown libarchive error")};
}

// "top/rest" with top == from -> "to/rest".
std::string rebase(const std::string& name, const std::string& from, const std::string& to) {
  if (from.empty()) return name;
  std::string n = name;
  if (n.starts_with("./") && from != ".") n = n.substr(2);
  if (n == from) return to;
  if (n.starts_with(from + "/")) return to + n.substr(from.size());
  return name;
}

// The stat the daemon sends base64-encoded in X-Docker-Container-Path-Stat.
std::optional<Json> path_stat(const api::Response& r) {
  auto it = r.headers.find("x-docker-container-path-stat");
  if (it == r.headers.end()) return std::nullopt;
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string decoded;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : it->second) {
    size_t v = kAlphabet.find(c);
    if (c == '-') v = 62;  // URL-safe alphabet too
    if (c == '_') v = 63;
    if (v == std::string::npos) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  Json j = Json::parse(decoded, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

Result<void> extract(int fd, const CopyPlan& plan, bool preserve_owner) {
  const LibArchive& la = *TRY(libarchive());
  ArchivePtr in(la.archive_read_new(), la.archive_read_free);
  la.archive_read_support_format_tar(in.get());
  if (la.archive_read_open_fd(in.get(), fd, 64 << 10) != ARCHIVE_OK) return std::unexpected(archive_error(la, in.get(), "reading the archive"));
  ArchivePtr disk(la.archive_write_disk_new(), la.archive_write_free);
  int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
              ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_XATTR;
  if (preserve_owner) flags |= ARCHIVE_EXTRACT_OWNER;
  la.archive_write_disk_set_options(disk.get(), flags);
  la.archive_write_disk_set_standard_lookup(disk.get());
  archive_entry* entry;
  int rc;
  while ((rc = la.archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
    auto place = [&](const char* name) {
      return plan.dest_dir + "/" + rebase(name, plan.rebase_from, plan.rebase_to);
    };
    la.archive_entry_set_pathname(entry, place(la.archive_entry_pathname(entry)).c_str());
    if (const char* link = la.archive_entry_hardlink(entry)) la.archive_entry_set_hardlink(entry, place(link).c_str());
    if (la.archive_write_header(disk.get(), entry) != ARCHIVE_OK) {
      return std::unexpected(archive_error(la, disk.get(), fmt::format("extracting {}", la.archive_entry_pathname(entry))));
    }
    const void* buf;
    size_t size;
    la_int64_t offset;
    while ((rc = la.archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK) {
      if (la.archive_write_data_block(disk.get(), buf, size, offset) != ARCHIVE_OK) {
        return std::unexpected(archive_error(la, disk.get(), "writing extracted data"));
      }
    }
    if (rc != ARCHIVE_EOF) return std::unexpected(archive_error(la, in.get(), "reading the archive"));
    la.archive_write_finish_entry(disk.get());
  }
  if (rc != ARCHIVE_EOF) return std::unexpected(archive_error(la, in.get(), "reading the archive"));
  return {};
}

// Tars `src` (named `top` in the archive, then rebased) into fd.
Result<uint64_t> build_tar(const std::string& src, bool follow, const std::string& top, const CopyPlan& plan, int fd) {
  const LibArchive& la = *TRY(libarchive());
  ArchivePtr out(la.archive_write_new(), la.archive_write_free);
  la.archive_write_set_format_pax_restricted(out.get());
  if (la.archive_write_open_fd(out.get(), fd) != ARCHIVE_OK) return std::unexpected(archive_error(la, out.get(), "writing the archive"));
  ArchivePtr disk(la.archive_read_disk_new(), la.archive_read_free);
  la.archive_read_disk_set_standard_lookup(disk.get());
  if (follow) la.archive_read_disk_set_symlink_hybrid(disk.get());
  else la.archive_read_disk_set_symlink_physical(disk.get());
  std::string root = src;
  if (root.ends_with("/.")) root.resize(root.size() - 2);
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (la.archive_read_disk_open(disk.get(), root.c_str()) != ARCHIVE_OK) {
    return std::unexpected(archive_error(la, disk.get(), fmt::format("reading {}", src)));
  }
  uint64_t total = 0;
  std::vector<char> buf(64 << 10);
  while (true) {
    archive_entry* entry = la.archive_entry_new();
    int rc = la.archive_read_next_header2(disk.get(), entry);
    if (rc == ARCHIVE_EOF) {
      la.archive_entry_free(entry);
      break;
    }
    if (rc != ARCHIVE_OK) {
      la.archive_entry_free(entry);
      return std::unexpected(archive_error(la, disk.get(), fmt::format("reading {}", src)));
    }
    la.archive_read_disk_descend(disk.get());
    std::string path = la.archive_entry_pathname(entry);
    std::string name = top + path.substr(std::min(path.size(), root.size()));
    la.archive_entry_set_pathname(entry, rebase(name, plan.rebase_from, plan.rebase_to).c_str());
    if (la.archive_write_header(out.get(), entry) != ARCHIVE_OK) {
      la.archive_entry_free(entry);
      return std::unexpected(archive_error(la, out.get(), fmt::format("archiving {}", path)));
    }
    if (la.archive_entry_filetype(entry) == AE_IFREG && la.archive_entry_size(entry) > 0) {
      UniqueFd file(::open(la.archive_entry_sourcepath(entry), O_RDONLY | O_CLOEXEC));
      if (!file) {
        la.archive_entry_free(entry);
        return fail_errno(fmt::format("open {}", path));
      }
      ssize_t n;
      while ((n = ::read(file.get(), buf.data(), buf.size())) > 0) {
        la.archive_write_data(out.get(), buf.data(), static_cast<size_t>(n));
        total += static_cast<uint64_t>(n);
      }
    }
    la.archive_entry_free(entry);
  }
  if (la.archive_write_close(out.get()) != ARCHIVE_OK) return std::unexpected(archive_error(la, out.get(), "finishing the archive"));
  return total;
}

}  // namespace

Result<int> copy_from_container(Cli& cli, const CpArg& src, const std::string& dst, bool preserve, bool quiet) {
  api::Client* c = TRY(cli.client());
  std::string q = fmt::format("/containers/{}/archive?path={}", url_encode(src.container), url_encode(src.path));
  if (dst == "-") {
    api::Response r = TRY(c->stream("GET", q, "", [](std::string_view d) { return write_all(1, d); }));
    TRYV(check(r));
    return 0;
  }
  TRYV(libarchive());  // before the download: extracting needs it
  UniqueFd tmp = TRY(temp_file());
  bool write_failed = false;
  api::Response r = TRY(c->stream("GET", q, "", [&](std::string_view d) {
    write_failed = !write_all(tmp.get(), d);
    return !write_failed;
  }));
  TRYV(check(r));
  if (write_failed) return fail_errno("writing the temporary copy");
  auto stat = path_stat(r);
  uint32_t mode = stat ? stat->value("mode", uint32_t{0}) : 0;
  CopyInfo src_info{src.path, true, (mode & kGoModeDir) != 0};
  struct stat st;
  CopyInfo dst_info{dst, ::stat(dst.c_str(), &st) == 0, false};
  dst_info.is_dir = dst_info.exists && S_ISDIR(st.st_mode);
  if (!dst_info.exists && dst.ends_with("/") && !src_info.is_dir) {
    return fail(Errc::NotFound, fmt::format("destination directory {} does not exist", dst));
  }
  CopyPlan plan = TRY(plan_copy(src_info, dst_info));
  off_t size = ::lseek(tmp.get(), 0, SEEK_CUR);
  ::lseek(tmp.get(), 0, SEEK_SET);
  TRYV(extract(tmp.get(), plan, preserve));
  if (!quiet && is_terminal(2)) errf("Successfully copied {} to {}\n", human_size(static_cast<double>(size)), dst);
  return 0;
}

Result<int> copy_to_container(Cli& cli, const std::string& src, const CpArg& dst, bool preserve, bool follow,
                              bool quiet) {
  api::Client* c = TRY(cli.client());
  std::string base = fmt::format("/containers/{}/archive", url_encode(dst.container));
  api::Response head = TRY(c->request("HEAD", base + "?path=" + url_encode(dst.path)));
  CopyInfo dst_info{dst.path, false, false};
  if (head.status < 400) {
    auto stat = path_stat(head);
    uint32_t mode = stat ? stat->value("mode", uint32_t{0}) : 0;
    dst_info.exists = true;
    dst_info.is_dir = (mode & kGoModeDir) != 0;
  } else if (head.status != 404) {
    return std::unexpected(daemon_error(head));
  }
  std::string put_query = "&noOverwriteDirNonDir=true";
  if (preserve) put_query += "&copyUIDGID=true";
  if (src == "-") {
    if (!dst_info.is_dir) {
      return fail(Errc::InvalidArgument, fmt::format("destination \"{}:{}\" must be a directory", dst.container, dst.path));
    }
    api::Response r = TRY(c->upload("PUT", base + "?path=" + url_encode(dst.path) + put_query, 0, "application/x-tar"));
    TRYV(check(r));
    return 0;
  }
  struct stat st;
  int rc = follow ? ::stat(src.c_str(), &st) : ::lstat(src.c_str(), &st);
  if (rc != 0) return fail_errno(fmt::format("{} {}", follow ? "stat" : "lstat", src));
  CopyInfo src_info{src, true, S_ISDIR(st.st_mode)};
  CopyPlan plan = TRY(plan_copy(src_info, dst_info));
  UniqueFd tmp = TRY(temp_file());
  uint64_t bytes = TRY(build_tar(src, follow, archive_base(src), plan, tmp.get()));
  ::lseek(tmp.get(), 0, SEEK_SET);
  api::Response r = TRY(c->upload("PUT", base + "?path=" + url_encode(plan.dest_dir) + put_query, tmp.get(),
                                  "application/x-tar"));
  TRYV(check(r));
  if (!quiet && is_terminal(2)) {
    errf("Successfully copied {} to {}:{}\n", human_size(static_cast<double>(bytes)), dst.container, dst.path);
  }
  return 0;
}

void add_cp(Invocation& inv, CLI::App* parent) {
  if (!inv.wants(parent, "cp")) return;
  Cli& cli = inv.cli;
  struct O { std::vector<std::string> args; bool archive = false, follow = false, quiet = false; };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, parent, "cp", "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
                              "Copy files/folders between a container and the local filesystem", &o->args, {2, 2},
                              [&cli, o]() -> Result<int> {
    CpArg src = split_cp_arg(o->args[0]), dst = split_cp_arg(o->args[1]);
    if (!src.container.empty() && !dst.container.empty()) {
      return fail(Errc::InvalidArgument, "copying between containers is not supported");
    }
    if (src.container.empty() && dst.container.empty()) {
      return fail(Errc::InvalidArgument, "must specify at least one container source");
    }
    if (!src.container.empty()) {
      if (src.path.empty()) return fail(Errc::InvalidArgument, "filesystem path cannot be empty");
      return copy_from_container(cli, src, dst.path, o->archive, o->quiet);
    }
    if (dst.path.empty()) return fail(Errc::InvalidArgument, "filesystem path cannot be empty");
    return copy_to_container(cli, src.path, dst, o->archive, o->follow, o->quiet);
  });
  add_bool(app, "-a,--archive", o->archive, "Archive mode (copy all uid/gid information)");
  add_bool(app, "-L,--follow-link", o->follow, "Always follow symbol link in SRC_PATH");
  add_bool(app, "-q,--quiet", o->quiet, "Suppress progress output during copy");
}

}  // namespace berth::cli
