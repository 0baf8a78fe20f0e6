// cp's libarchive is loaded on demand: every function resolves from the
// installed library, and a missing library is a clear error, not a crash.
#include "cli/libarchive.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(LibArchive, LoadsEveryFunction) {
  auto lib = libarchive();
  ASSERT_TRUE(lib) << lib.error().message;
#define BERTH_EXPECT_RESOLVED(name) EXPECT_NE((*lib)->name, nullptr) << #name;
  BERTH_LIBARCHIVE_FUNCTIONS(BERTH_EXPECT_RESOLVED)
#undef BERTH_EXPECT_RESOLVED
  EXPECT_EQ(libarchive().value(), *lib);  // once per process
  // The table works: an in-memory tar writer opens and closes.
  struct archive* a = (*lib)->archive_write_new();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*lib)->archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
  EXPECT_EQ((*lib)->archive_write_free(a), ARCHIVE_OK);
}

TEST(LibArchive, MissingLibraryIsAClearError) {
  auto lib = load_libarchive("libberth-no-such-archive.so.13");
  ASSERT_FALSE(lib);
  EXPECT_EQ(lib.error().code, Errc::Unavailable);
  EXPECT_NE(lib.error().message.find("libberth-no-such-archive.so.13"), std::string::npos) << lib.error().message;
  EXPECT_NE(lib.error().message.find("libarchive13"), std::string::npos) << lib.error().message;
}

}  // namespace
}  // namespace berth::cli
