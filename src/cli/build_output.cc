#include "cli/build_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/libarchive.h"
#include "cli/stream.h"

namespace berth::cli {

Result<void> download(Cli& cli, const std::string& path, int to);  // container_io.cc

namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

Error archive_error(const LibArchive& la, struct archive* a, const std::string& what) {
  const char* msg = la.archive_error_string(a);
  return Error{Errc::Internal, 0, fmt::format("{}: {}", what, msg ? msg : "unknown libarchive error")};
}

// The export's tar (at fd's start) unpacked into dir: nothing lands outside
// it (no "..", no symlinked parents); owners are kept when run as root.
Result<void> unpack(int fd, const std::string& dir) {
  const LibArchive& la = *TRY(libarchive());
  ArchivePtr in(la.archive_read_new(), la.archive_read_free);
  la.archive_read_support_format_tar(in.get());
  if (la.archive_read_open_fd(in.get(), fd, 64 << 10) != ARCHIVE_OK)
    return std::unexpected(archive_error(la, in.get(), "reading the export"));
  ArchivePtr disk(la.archive_write_disk_new(), la.archive_write_free);
  int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
              ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_XATTR;
  if (::geteuid() == 0) flags |= ARCHIVE_EXTRACT_OWNER;
  la.archive_write_disk_set_options(disk.get(), flags);
  la.archive_write_disk_set_standard_lookup(disk.get());
  archive_entry* entry;
  int rc;
  while ((rc = la.archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
    std::string name = la.archive_entry_pathname(entry);
    la.archive_entry_set_pathname(entry, (dir + "/" + name).c_str());
    if (const char* link = la.archive_entry_hardlink(entry))
      la.archive_entry_set_hardlink(entry, (dir + "/" + std::string(link)).c_str());
    if (la.archive_write_header(disk.get(), entry) != ARCHIVE_OK)
      return std::unexpected(archive_error(la, disk.get(), "writing " + name));
    const void* buf;
    size_t size;
    la_int64_t offset;
    while ((rc = la.archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK)
      if (la.archive_write_data_block(disk.get(), buf, size, offset) != ARCHIVE_OK)
        return std::unexpected(archive_error(la, disk.get(), "writing " + name));
    if (rc != ARCHIVE_EOF) return std::unexpected(archive_error(la, in.get(), "reading the export"));
    la.archive_write_finish_entry(disk.get());
  }
  if (rc != ARCHIVE_EOF) return std::unexpected(archive_error(la, in.get(), "reading the export"));
  return {};
}

}  // namespace

Result<BuildOutput> parse_build_output(const std::string& spec) {
  BuildOutput out;
  if (spec.find('=') == std::string::npos) {  // buildx's shorthands
    if (spec.empty()) return fail(Errc::InvalidArgument, "invalid --output: empty");
    out.kind = spec == "-" ? BuildOutput::Kind::tar : BuildOutput::Kind::local;
    out.dest = spec;
    return out;
  }
  std::string type;
  for (const auto& field : split(spec, ',', true)) {
    auto eq = field.find('=');
    std::string key = ascii_lower(field.substr(0, eq));
    std::string value = eq == std::string::npos ? std::string() : field.substr(eq + 1);
    if (key == "type") type = value;
    else if (key == "dest") out.dest = value;
    else return fail(Errc::InvalidArgument, "invalid --output " + spec + ": unexpected key '" + key + "'");
  }
  if (type == "local") out.kind = BuildOutput::Kind::local;
  else if (type == "tar") out.kind = BuildOutput::Kind::tar;
  else if (type.empty()) return fail(Errc::InvalidArgument, "invalid --output " + spec + ": a type is required (local or tar)");
  else
    return fail(Errc::Unsupported, "invalid --output " + spec + ": berth exports type=local and type=tar (not " + type + ")");
  if (out.dest.empty()) return fail(Errc::InvalidArgument, "invalid --output " + spec + ": dest is required");
  if (out.kind == BuildOutput::Kind::local && out.dest == "-")
    return fail(Errc::InvalidArgument, "invalid --output " + spec + ": a local export needs a directory (dest=DIR)");
  return out;
}

Result<void> export_build_output(Cli& cli, const std::string& image_id, const BuildOutput& out) {
  if (out.to_stdout() && is_terminal(1))
    return fail(Errc::InvalidArgument, "refusing to write a tar to a terminal: give --output type=tar,dest=FILE or redirect");
  if (out.kind == BuildOutput::Kind::local) TRY(libarchive());  // before anything is made
  // A container that never starts: its rootfs is the image's, and export reads it.
  Json body{{"Image", image_id}, {"Cmd", Json::array({"berth-build-output"})}, {"Entrypoint", Json::array({""})},
            {"Labels", {{"org.berth.build.output", "1"}}}};
  api::Response created = TRY(cli.post("/containers/create", body));
  Json j = Json::parse(created.body, nullptr, false);
  std::string id = j.is_object() ? j.value("Id", "") : "";
  if (id.empty()) return fail(Errc::Internal, "the daemon's create answer has no Id");
  auto exported = [&]() -> Result<void> {
    const std::string path = "/containers/" + id + "/export";
    if (out.kind == BuildOutput::Kind::tar) {
      if (out.to_stdout()) return download(cli, path, 1);
      std::string tmp = out.dest + ".berth-tmp";
      UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (!fd) return fail_errno("creating " + tmp);
      auto r = download(cli, path, fd.get());
      if (r && ::fsync(fd.get()) == 0 && ::rename(tmp.c_str(), out.dest.c_str()) == 0) return {};
      int e = errno;
      ::unlink(tmp.c_str());
      if (!r) return r;
      errno = e;
      return fail_errno("writing " + out.dest);
    }
    std::error_code ec;
    std::filesystem::create_directories(out.dest, ec);
    if (ec) return fail(Errc::InvalidArgument, "creating " + out.dest + ": " + ec.message());
    const char* tmpdir = std::getenv("TMPDIR");
    UniqueFd fd(::open(tmpdir && *tmpdir ? tmpdir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (!fd) return fail_errno("creating a temporary file for the export");
    TRYV(download(cli, path, fd.get()));
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) return fail_errno("rewinding the export");
    return unpack(fd.get(), out.dest);
  }();
  auto removed = cli.call("DELETE", "/containers/" + id + "?force=1");
  TRYV(exported);
  if (!removed) return std::unexpected(removed.error());
  return {};
}

}  // namespace berth::cli
