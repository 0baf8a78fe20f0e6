#include "base/exit_status.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(ExitStatus, ErrnoDecidesWhenThereIsOne) {
  EXPECT_EQ(exit_status_for(Error{Errc::NotFound, ENOENT, "exec: \"nope\""}), 127);
  EXPECT_EQ(exit_status_for(Error{Errc::PermissionDenied, EACCES, "exec /etc/passwd"}), 126);
  EXPECT_EQ(exit_status_for(Error{Errc::PermissionDenied, EPERM, "exec"}), 126);
  // execve of a directory: EISDIR is InvalidArgument by errno, yet it cannot be invoked.
  EXPECT_EQ(exit_status_for(Error{errc_from_errno(EISDIR), EISDIR, "exec /etc"}), 126);
  EXPECT_EQ(exit_status_for(Error{Errc::InvalidArgument, ENOEXEC, "exec format error"}), 126);
  EXPECT_EQ(exit_status_for(Error{Errc::Conflict, ETXTBSY, "text file busy"}), 126);
  // Not about the command: the engine refused.
  EXPECT_EQ(exit_status_for(Error{Errc::InvalidArgument, EINVAL, "mount"}), 125);
  EXPECT_EQ(exit_status_for(Error{Errc::NotFound, ESRCH, "no such process"}), 125);
  EXPECT_EQ(exit_status_for(Error{Errc::InvalidArgument, ENOTDIR, "mount a file on a directory"}), 125);
}

TEST(ExitStatus, CodeDecidesWithoutErrno) {
  EXPECT_EQ(exit_status_for(Error{Errc::NotFound, 0, "executable file not found in $PATH"}), 127);
  EXPECT_EQ(exit_status_for(Error{Errc::PermissionDenied, 0, "not executable"}), 126);
  for (Errc c : {Errc::AlreadyExists, Errc::InvalidArgument, Errc::Conflict, Errc::Unavailable, Errc::Unsupported,
                 Errc::Internal}) {
    EXPECT_EQ(exit_status_for(Error{c, 0, "x"}), 125) << errc_name(c);
  }
}

TEST(ExitStatus, MessageTextDecidesNothing) {
  // The words docker-cli searches for are ignored: only code and errno count.
  EXPECT_EQ(exit_status_for(Error{Errc::Internal, 0, "executable file not found: no such file or directory"}), 125);
  EXPECT_EQ(exit_status_for(Error{Errc::Internal, 0, "permission denied"}), 125);
}

}  // namespace
}  // namespace berth
