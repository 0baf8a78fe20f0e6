// berth-image-tool: a test tool (not a product binary) that drives berth's
// image service from the interop scripts.
//
//   berth-image-tool ROOT import-archive FILE        docker-archive or OCI archive
//   berth-image-tool ROOT import-rootfs FILE REF     one-layer image from a tar
//   berth-image-tool ROOT export-archive FILE REF... docker-archive
//   berth-image-tool ROOT inspect REF                {"id": ..., "diff_ids": [...]}
//   berth-image-tool ROOT tag REF NEWREF             adds tag NEWREF to image REF
//
// Output is one JSON object per image on stdout; errors are one line on
// stderr ("berth-image-tool: ...") with exit status 1 (2 for usage errors).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/docker_archive.h"
#include "image/oci_layout.h"
#include "image/reference.h"
#include "image/service.h"

namespace {

using berth::Error;
using berth::image::ImageInfo;

int usage() {
  std::fprintf(stderr,
               "usage: berth-image-tool ROOT import-archive FILE\n"
               "       berth-image-tool ROOT import-rootfs FILE REF\n"
               "       berth-image-tool ROOT export-archive FILE REF...\n"
               "       berth-image-tool ROOT inspect REF\n"
               "       berth-image-tool ROOT tag REF NEWREF\n");
  return 2;
}

int fail(const std::string& what, const Error& e) {
  std::string msg = e.str();
  for (char& c : msg) if (c == '\n') c = ' ';
  std::fprintf(stderr, "berth-image-tool: %s: %s: %s\n", what.c_str(), berth::errc_name(e.code),
               msg.c_str());
  return 1;
}

int fail_sys(const std::string& what) {
  std::fprintf(stderr, "berth-image-tool: %s: %s\n", what.c_str(), std::strerror(errno));
  return 1;
}

nlohmann::ordered_json describe(const ImageInfo& info) {
  nlohmann::ordered_json j;
  j["id"] = info.id;
  j["refs"] = info.refs;
  auto diff_ids = nlohmann::ordered_json::array();
  if (info.config.rootfs)
    for (const auto& d : info.config.rootfs->diff_ids) diff_ids.push_back(d.str());
  j["diff_ids"] = diff_ids;
  return j;
}

void print(const ImageInfo& info) { std::printf("%s\n", describe(info).dump().c_str()); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  std::string root = argv[1], cmd = argv[2];
  std::vector<std::string> args(argv + 3, argv + argc);

  if (cmd == "import-archive" && args.size() != 1) return usage();
  if (cmd == "import-rootfs" && args.size() != 2) return usage();
  if (cmd == "export-archive" && args.size() < 2) return usage();
  if (cmd == "inspect" && args.size() != 1) return usage();
  if (cmd == "tag" && args.size() != 2) return usage();
  if (cmd != "import-archive" && cmd != "import-rootfs" && cmd != "export-archive" &&
      cmd != "inspect" && cmd != "tag") {
    std::fprintf(stderr, "berth-image-tool: unknown command '%s'\n", cmd.c_str());
    return usage();
  }

  auto svc_r = berth::image::ImageService::open(root);
  if (!svc_r) return fail("opening image store " + root, svc_r.error());
  auto& svc = **svc_r;

  if (cmd == "import-archive") {
    int fd = ::open(args[0].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail_sys("opening " + args[0]);
    auto r = berth::image::import_docker_archive(svc, fd);
    if (!r) {
      // Not a docker-archive: try it as an OCI layout tar before giving up.
      Error first = r.error();
      if (::lseek(fd, 0, SEEK_SET) == 0) {
        auto o = berth::image::import_oci_layout_tar(svc, fd);
        if (o) {
          ::close(fd);
          for (const auto& info : *o) print(info);
          return 0;
        }
      }
      ::close(fd);
      return fail("importing archive " + args[0], first);
    }
    ::close(fd);
    if (r->empty()) {
      std::fprintf(stderr, "berth-image-tool: importing archive %s: no image in it\n",
                   args[0].c_str());
      return 1;
    }
    for (const auto& info : *r) print(info);
    return 0;
  }

  if (cmd == "import-rootfs") {
    int fd = ::open(args[0].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail_sys("opening " + args[0]);
    auto r = svc.import_rootfs(fd, args[1]);
    ::close(fd);
    if (!r) return fail("importing rootfs " + args[0] + " as " + args[1], r.error());
    print(*r);
    return 0;
  }

  if (cmd == "export-archive") {
    std::vector<std::string> refs(args.begin() + 1, args.end());
    std::string tmp = args[0] + ".partial";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fail_sys("creating " + tmp);
    auto r = berth::image::export_docker_archive(svc, refs, fd);
    if (!r) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail("exporting to " + args[0], r.error());
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      errno = e;
      return fail_sys("writing " + tmp);
    }
    if (::rename(tmp.c_str(), args[0].c_str()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      errno = e;
      return fail_sys("renaming " + tmp + " to " + args[0]);
    }
    return 0;
  }

  if (cmd == "tag") {
    auto src = svc.inspect(args[0]);
    if (!src) return fail("inspecting " + args[0], src.error());
    auto ref = berth::image::Reference::parse(args[1]);
    if (!ref) return fail("parsing reference " + args[1], ref.error());
    auto t = svc.metadata().tag(ref->str(), src->id);
    if (!t) return fail("tagging " + args[0] + " as " + args[1], t.error());
    auto r = svc.inspect(ref->str());
    if (!r) return fail("inspecting " + args[1], r.error());
    print(*r);
    return 0;
  }

  // inspect
  auto r = svc.inspect(args[0]);
  if (!r) return fail("inspecting " + args[0], r.error());
  print(*r);
  return 0;
}
