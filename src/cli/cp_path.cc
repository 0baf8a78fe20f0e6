#include "cli/cp_path.h"

namespace berth::cli {

CpArg split_cp_arg(std::string_view arg) {
  if (arg.starts_with("/")) return {"", std::string(arg)};
  size_t colon = arg.find(':');
  if (colon == std::string_view::npos || arg.starts_with(".")) return {"", std::string(arg)};
  return {std::string(arg.substr(0, colon)), std::string(arg.substr(colon + 1))};
}

namespace {

bool asserts_directory(std::string_view p) { return p.ends_with("/") || p.ends_with("/.") || p == "."; }

std::string strip_trailing_slashes(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  return std::string(p);
}

}  // namespace

std::string archive_base(std::string_view path) {
  if (path.ends_with("/.") || path == ".") return ".";
  std::string p = strip_trailing_slashes(path);
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return p;
  if (p.size() == 1) return "/";
  return p.substr(slash + 1);
}

std::string parent_dir(std::string_view path) {
  std::string p = strip_trailing_slashes(path);
  if (p.ends_with("/.")) p.resize(p.size() - 2);
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

Result<CopyPlan> plan_copy(const CopyInfo& src, const CopyInfo& dst) {
  std::string src_base = archive_base(src.path);
  if (dst.exists && dst.is_dir) {
    return CopyPlan{strip_trailing_slashes(dst.path), "", ""};  // into the directory, names kept
  }
  if (dst.exists && src.is_dir) return fail(Errc::InvalidArgument, "cannot copy directory to file");
  if (!dst.exists && !src.is_dir && asserts_directory(dst.path)) {
    return fail(Errc::NotFound, "no such directory");
  }
  // A file replacing a file, or a new name for a file or a directory's copy.
  return CopyPlan{parent_dir(dst.path), src_base, archive_base(dst.path)};
}

}  // namespace berth::cli
