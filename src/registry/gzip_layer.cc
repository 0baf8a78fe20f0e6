#include "registry/gzip_layer.h"

#include <unistd.h>
#include <zlib.h>

#include <string>

namespace berth::registry {

Result<CompressedBlob> gzip_blob(content::Store& store, const content::Digest& uncompressed,
                                 const std::function<void(uint64_t)>& progress) {
  std::string what = "compressing layer " + uncompressed.str();
  auto in = TRY_CTX(store.open_blob(uncompressed), what);
  auto writer = TRY_CTX(store.writer(), what);
  z_stream z{};
  // 15+16: a gzip wrapper; its header has no name and mtime 0 (deflate's default).
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return fail(Errc::Internal, what + ": zlib would not start");
  std::string inbuf(1 << 20, '\0'), outbuf(1 << 20, '\0');
  uint64_t read_total = 0;
  Result<void> status;
  int flush = Z_NO_FLUSH;
  while (status && flush != Z_FINISH) {
    ssize_t n = ::read(in.get(), inbuf.data(), inbuf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = fail_errno(what + ": reading the blob");
      break;
    }
    read_total += static_cast<uint64_t>(n);
    flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = reinterpret_cast<Bytef*>(inbuf.data());
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = reinterpret_cast<Bytef*>(outbuf.data());
      z.avail_out = static_cast<uInt>(outbuf.size());
      if (deflate(&z, flush) == Z_STREAM_ERROR) {
        status = fail(Errc::Internal, what + ": zlib failed");
        break;
      }
      size_t have = outbuf.size() - z.avail_out;
      if (have) {
        if (auto w = writer.write(std::string_view(outbuf.data(), have)); !w) {
          status = std::unexpected(w.error());
          break;
        }
      }
    } while (z.avail_out == 0);
    if (progress) progress(read_total);
  }
  deflateEnd(&z);
  TRYV(std::move(status));
  CompressedBlob out;
  out.size = writer.written();
  out.digest = TRY_CTX(writer.commit(), what);
  return out;
}

}  // namespace berth::registry
