// `berth cp` paths and the decisions of docker's archive.PrepareArchiveCopy:
// where the tar is extracted and which top-level name it gets, from what the
// source and the destination are (pure, so tests cover every case).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::cli {

struct CpArg {
  std::string container;  // empty: a local path
  std::string path;
};
// docker-cli's splitCpArg: "/abs" and "./x:y" are local, "c:/p" is container c.
CpArg split_cp_arg(std::string_view arg);

struct CopyInfo {
  std::string path;
  bool exists = false;
  bool is_dir = false;
};

struct CopyPlan {
  std::string dest_dir;      // where the archive is extracted
  std::string rebase_from;   // the archive's top-level name ("" = keep names)
  std::string rebase_to;
};

// The archive holds `src` under its base name ("." for "dir/." meaning the
// directory's contents). Errors use docker's texts.
Result<CopyPlan> plan_copy(const CopyInfo& src, const CopyInfo& dst);

// "dir/." and "dir/" -> base name the archive uses for the source.
std::string archive_base(std::string_view path);
// The parent directory of a path as docker's SplitPathDirEntry sees it.
std::string parent_dir(std::string_view path);

// Go os.FileMode bits in the X-Docker-Container-Path-Stat header.
inline constexpr uint32_t kGoModeDir = 1u << 31;
inline constexpr uint32_t kGoModeSymlink = 1u << 27;

}  // namespace berth::cli
