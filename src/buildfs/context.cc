#include "buildfs/context.h"
#include "layer/archive_error.h"

#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string_view>

#include "base/unique_fd.h"
#include "buildfs/extract.h"
#include "layer/tar_reader.h"

namespace berth::buildfs {
namespace {

constexpr size_t kHeader = 512;  // the docker CLI's archiveHeaderSize
constexpr size_t kChunk = 256 * 1024;

bool compressed(std::string_view b) {
  auto has = [&](std::string_view magic) { return b.starts_with(magic); };
  return has("\x1f\x8b\x08") || has("BZh") || has(std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6)) ||
         has("\x28\xb5\x2f\xfd");
}

// Go's archive/tar accepts a header block whose checksum field matches the
// unsigned or the signed sum of its bytes (the field counted as spaces).
bool tar_header(std::string_view b) {
  if (b.size() < kHeader) return false;
  bool zero = true;
  for (char c : b.substr(0, kHeader)) zero = zero && c == 0;
  if (zero) return false;  // the end-of-archive block: Next() says EOF
  int64_t unsigned_sum = 0, signed_sum = 0;
  for (size_t i = 0; i < kHeader; ++i) {
    bool field = i >= 148 && i < 156;
    unsigned_sum += field ? ' ' : static_cast<unsigned char>(b[i]);
    signed_sum += field ? ' ' : static_cast<signed char>(b[i]);
  }
  // The field: octal digits, maybe padded with spaces or NULs.
  std::string_view f = b.substr(148, 8);
  size_t i = 0;
  while (i < f.size() && (f[i] == ' ' || f[i] == '\0')) ++i;
  int64_t value = 0;
  bool digits = false;
  for (; i < f.size() && f[i] >= '0' && f[i] <= '7'; ++i) {
    value = value * 8 + (f[i] - '0');
    digits = true;
  }
  for (; i < f.size(); ++i)
    if (f[i] != ' ' && f[i] != '\0') return false;
  return digits && (value == unsigned_sum || value == signed_sum);
}

// Feeds libarchive the sniffed head, then the rest of the body.
//
// A plain tar body that ends inside a block gets that block filled with
// zeros, once: the docker CLI's legacy builder, given -f from outside the
// context, appends the Dockerfile (and .dockerignore) to the context's tar and
// ends the stream right after the last entry's data, without its padding. Go's
// archive/tar, which dockerd reads it with, takes that as the end of the
// archive; libarchive wants the padding. data_cut_short() tells a body cut
// inside an entry's data (its data would run into the zeros) from that.
struct BodyReader {
  const std::function<Result<size_t>(char*, size_t)>* read;
  std::string head;
  bool head_given = false;
  std::unique_ptr<char[]> buf{new char[kChunk]};
  uint64_t bytes = 0;
  bool eof = false;  // read() said 0: it is not asked again
  bool pad_last_block = false;
  std::optional<uint64_t> padded_at;  // the body's length when the zeros were given
  std::optional<Error> error;

  static la_ssize_t next(archive*, void* self, const void** out) {
    auto* r = static_cast<BodyReader*>(self);
    if (!r->head_given) {
      r->head_given = true;
      if (!r->head.empty()) {
        *out = r->head.data();
        return static_cast<la_ssize_t>(r->head.size());
      }
    }
    if (r->eof) return r->zeros_to_block_end(out);
    auto n = (*r->read)(r->buf.get(), kChunk);
    if (!n) {
      r->error = std::move(n.error());
      return -1;
    }
    if (*n == 0) {
      r->eof = true;
      return r->zeros_to_block_end(out);
    }
    r->bytes += *n;
    *out = r->buf.get();
    return static_cast<la_ssize_t>(*n);
  }

  la_ssize_t zeros_to_block_end(const void** out) {
    static const char zeros[kHeader] = {};
    if (!pad_last_block || padded_at || bytes % kHeader == 0) return 0;
    padded_at = bytes;
    *out = zeros;
    return static_cast<la_ssize_t>(kHeader - bytes % kHeader);
  }

  // After an entry's data was read to its end (libarchive has then consumed
  // its padding too): did that data reach past the real body?
  bool data_cut_short(archive* a, archive_entry* e) const {
    if (!padded_at) return false;
    int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    int64_t padding = (kHeader - size % kHeader) % kHeader;
    int64_t consumed = archive_filter_bytes(a, 0);
    return consumed - padding > static_cast<int64_t>(*padded_at);
  }
};

Result<void> write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return fail_errno("writing the Dockerfile");
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

Result<ReceivedContext> dockerfile_only(BodyReader& body, const std::function<Result<size_t>(char*, size_t)>& read,
                                        int dir_fd) {
  UniqueFd fd(::openat(dir_fd, "Dockerfile", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) return fail_errno("creating the Dockerfile of the build context");
  if (::fchmod(fd.get(), 0644) != 0) return fail_errno("setting the mode of the Dockerfile");  // whatever the umask
  TRYV(write_all(fd.get(), body.head.data(), body.head.size()));
  while (!body.eof) {
    size_t n = TRY_CTX(read(body.buf.get(), kChunk), "reading the build context");
    body.eof = n == 0;
    body.bytes += n;
    TRYV(write_all(fd.get(), body.buf.get(), n));
  }
  return ReceivedContext{true, body.bytes, 0};
}

}  // namespace

Result<ReceivedContext> receive_context(const std::function<Result<size_t>(char*, size_t)>& read,
                                        const std::string& dir) {
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return fail_errno("opening the build context directory " + dir);
  BodyReader body;
  body.read = &read;
  // The first 512 bytes decide, as the docker CLI's GetContextFromReader.
  body.head.resize(kHeader);
  size_t have = 0;
  while (have < kHeader && !body.eof) {
    size_t n = TRY_CTX(read(body.head.data() + have, kHeader - have), "reading the build context");
    body.eof = n == 0;
    have += n;
  }
  body.head.resize(have);
  body.bytes = have;
  if (!compressed(body.head) && !tar_header(body.head)) return dockerfile_only(body, read, dir_fd.get());

  auto a = TRY(layer::new_reader(layer::TarStream::Tar));
  auto source_error = [&]() -> std::optional<Error> {
    if (!body.error) return std::nullopt;
    return std::move(*body.error);
  };
  if (archive_read_open(a.get(), &body, nullptr, &BodyReader::next, nullptr) != ARCHIVE_OK) {
    if (auto err = source_error()) return std::unexpected(std::move(*err).wrap("reading the build context"));
    return fail(Errc::InvalidArgument, std::string("reading the build context: ") + layer::archive_message(a.get()));
  }
  body.pad_last_block = !compressed(body.head);
  ExtractRules rules{"build context", "the build context", true};
  rules.after_entry = [&](archive* ar, archive_entry* e) -> Result<void> {
    if (!body.data_cut_short(ar, e)) return {};
    return fail(Errc::InvalidArgument, "reading the build context: it ends inside the data of entry \"" +
                                           std::string(archive_entry_pathname(e) ? archive_entry_pathname(e) : "") +
                                           "\" (the upload was cut short)");
  };
  auto entries = TRY(extract_entries(a.get(), dir_fd.get(), rules, source_error));
  // The rest of the body (past the end-of-archive blocks) is read, so the
  // byte count is the body's and the client is not left writing.
  while (!body.eof) {
    size_t n = TRY_CTX(read(body.buf.get(), kChunk), "reading the build context");
    body.eof = n == 0;
    body.bytes += n;
  }
  return ReceivedContext{false, body.bytes, entries};
}

}  // namespace berth::buildfs
