#include "imagediff/input.h"

namespace berth::imagediff {

Result<ImageInput> parse_input(std::string_view input) {
  ImageInput in;
  if (input.starts_with(kRemotePrefix)) {
    in.kind = InputKind::Remote;
    input.remove_prefix(kRemotePrefix.size());
  } else if (input.starts_with(kDaemonPrefix)) {
    input.remove_prefix(kDaemonPrefix.size());
  } else if (input.starts_with("/")) {
    in.kind = InputKind::Archive;
  }
  if (input.empty()) return fail(Errc::InvalidArgument, "image diff needs two images: an input is empty");
  in.value = std::string(input);
  return in;
}

}  // namespace berth::imagediff
