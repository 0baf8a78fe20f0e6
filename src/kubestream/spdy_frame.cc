#include "kubestream/spdy_frame.h"

#include <cstring>
#include <map>

namespace berth::kubestream::spdy {

namespace {

void put32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out.append(b, 4);
}

uint32_t get32(std::string_view s, size_t at) {
  auto b = reinterpret_cast<const unsigned char*>(s.data()) + at;
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

// A control frame: the 8-byte header, then the body.
std::string control(FrameType type, uint8_t flags, const std::string& body) {
  std::string out;
  out.reserve(8 + body.size());
  put32(out, 0x80000000u | (uint32_t{kVersion} << 16) | static_cast<uint16_t>(type));
  put32(out, (uint32_t{flags} << 24) | static_cast<uint32_t>(body.size()));
  out += body;
  return out;
}

std::unexpected<Error> malformed(const std::string& what) {
  return fail(Errc::InvalidArgument, "malformed SPDY frame: " + what);
}

}  // namespace

std::string header_value(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

std::string encode_header_block(const Headers& headers) {
  // Repeated names become one entry whose values are NUL-separated, in order of first appearance.
  std::vector<std::pair<std::string, std::string>> merged;
  std::map<std::string, size_t> index;
  for (const auto& [k, v] : headers) {
    auto it = index.find(k);
    if (it == index.end()) {
      index.emplace(k, merged.size());
      merged.emplace_back(k, v);
    } else {
      merged[it->second].second += '\0';
      merged[it->second].second += v;
    }
  }
  std::string out;
  put32(out, static_cast<uint32_t>(merged.size()));
  for (const auto& [k, v] : merged) {
    put32(out, static_cast<uint32_t>(k.size()));
    out += k;
    put32(out, static_cast<uint32_t>(v.size()));
    out += v;
  }
  return out;
}

Result<Headers> decode_header_block(std::string_view block) {
  if (block.size() < 4) return malformed("header block shorter than its count");
  uint32_t count = get32(block, 0);
  size_t at = 4;
  Headers headers;
  auto take = [&](std::string& into) -> bool {
    if (block.size() - at < 4) return false;
    uint32_t len = get32(block, at);
    at += 4;
    if (block.size() - at < len) return false;
    into.assign(block.substr(at, len));
    at += len;
    return true;
  };
  for (uint32_t i = 0; i < count; ++i) {
    std::string name, value;
    if (!take(name) || !take(value)) return malformed("header block ends inside header " + std::to_string(i + 1));
    if (name.empty()) return malformed("empty header name");
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') return malformed("header name '" + name + "' is not lower case");
    }
    size_t start = 0;
    for (;;) {
      size_t nul = value.find('\0', start);
      headers.emplace_back(name, value.substr(start, nul == std::string::npos ? std::string::npos : nul - start));
      if (nul == std::string::npos) break;
      start = nul + 1;
    }
  }
  if (at != block.size()) return malformed("bytes after the last header");
  return headers;
}

HeaderCompressor::HeaderCompressor() {
  ok_ = deflateInit(&z_, Z_BEST_COMPRESSION) == Z_OK &&
        deflateSetDictionary(&z_, kHeaderDictionary, static_cast<uInt>(kHeaderDictionarySize)) == Z_OK;
}

HeaderCompressor::~HeaderCompressor() { deflateEnd(&z_); }

Result<std::string> HeaderCompressor::compress(std::string_view block) {
  if (!ok_) return fail(Errc::Internal, "SPDY header compressor failed to initialise");
  std::string out;
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(block.data()));
  z_.avail_in = static_cast<uInt>(block.size());
  char buf[4096];
  do {
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = sizeof buf;
    int rc = deflate(&z_, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      ok_ = false;
      return fail(Errc::Internal, "compressing a SPDY header block failed (zlib " + std::to_string(rc) + ")");
    }
    out.append(buf, sizeof buf - z_.avail_out);
  } while (z_.avail_out == 0);
  return out;
}

HeaderDecompressor::HeaderDecompressor() { ok_ = inflateInit(&z_) == Z_OK; }

HeaderDecompressor::~HeaderDecompressor() { inflateEnd(&z_); }

Result<std::string> HeaderDecompressor::decompress(std::string_view compressed) {
  if (!ok_) return fail(Errc::InvalidArgument, "the SPDY header stream is unusable after an earlier error");
  std::string out;
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z_.avail_in = static_cast<uInt>(compressed.size());
  char buf[4096];
  for (;;) {
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = sizeof buf;
    int rc = inflate(&z_, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      if (inflateSetDictionary(&z_, kHeaderDictionary, static_cast<uInt>(kHeaderDictionarySize)) != Z_OK) {
        ok_ = false;
        return malformed("header block compressed with a dictionary other than SPDY/3's");
      }
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      ok_ = false;
      return malformed("header block does not decompress (zlib " + std::to_string(rc) + ")");
    }
    out.append(buf, sizeof buf - z_.avail_out);
    if (out.size() > Framer::kMaxHeaderBlock) {
      ok_ = false;
      return malformed("header block larger than " + std::to_string(Framer::kMaxHeaderBlock) + " bytes");
    }
    if (z_.avail_in == 0 && z_.avail_out != 0) break;
    if (rc == Z_BUF_ERROR && z_.avail_in == 0) break;
  }
  return out;
}

Result<std::string> Framer::encode(const Frame& f) {
  std::string body;
  switch (f.type) {
    case FrameType::Data: {
      if (f.stream_id == 0 || f.stream_id > 0x7fffffffu) return fail(Errc::InvalidArgument, "SPDY DATA frame needs a stream id");
      if (f.data.size() > kMaxDataLength) return fail(Errc::InvalidArgument, "SPDY DATA frame larger than 2^24-1 bytes");
      std::string out;
      out.reserve(8 + f.data.size());
      put32(out, f.stream_id);
      put32(out, (uint32_t{f.flags} << 24) | static_cast<uint32_t>(f.data.size()));
      out += f.data;
      return out;
    }
    case FrameType::SynStream:
      put32(body, f.stream_id & 0x7fffffffu);
      put32(body, f.associated_id & 0x7fffffffu);
      body += static_cast<char>((f.priority & 7) << 5);
      body += '\0';  // slot
      body += TRY(compressor_.compress(encode_header_block(f.headers)));
      break;
    case FrameType::SynReply:
    case FrameType::Headers:
      put32(body, f.stream_id & 0x7fffffffu);
      body += TRY(compressor_.compress(encode_header_block(f.headers)));
      break;
    case FrameType::RstStream:
      put32(body, f.stream_id & 0x7fffffffu);
      put32(body, f.status);
      break;
    case FrameType::Settings:
      put32(body, static_cast<uint32_t>(f.settings.size()));
      for (const auto& s : f.settings) {
        put32(body, (uint32_t{s.flags} << 24) | (s.id & 0xffffff));
        put32(body, s.value);
      }
      break;
    case FrameType::Ping:
      put32(body, f.ping_id);
      break;
    case FrameType::GoAway:
      put32(body, f.stream_id & 0x7fffffffu);
      put32(body, f.status);
      break;
    case FrameType::WindowUpdate:
      put32(body, f.stream_id & 0x7fffffffu);
      put32(body, f.delta_window & 0x7fffffffu);
      break;
    default:
      return fail(Errc::InvalidArgument, "unknown SPDY frame type " + std::to_string(static_cast<int>(f.type)));
  }
  return control(f.type, f.flags, body);
}

Result<size_t> Framer::decode(std::string_view buf, Frame& out) {
  if (buf.size() < 8) return 0;
  uint32_t w0 = get32(buf, 0), w1 = get32(buf, 4);
  size_t len = w1 & 0xffffff;
  if (buf.size() - 8 < len) return 0;
  std::string_view body = buf.substr(8, len);
  out = Frame{};
  out.flags = static_cast<uint8_t>(w1 >> 24);
  if ((w0 & 0x80000000u) == 0) {
    out.type = FrameType::Data;
    out.stream_id = w0;
    if (out.stream_id == 0) return malformed("DATA frame on stream 0");
    out.data.assign(body);
    return 8 + len;
  }
  out.version = static_cast<uint16_t>((w0 >> 16) & 0x7fff);
  out.type = static_cast<FrameType>(w0 & 0xffff);
  auto need = [&](size_t n, const char* what) -> Result<void> {
    if (body.size() < n) return malformed(std::string(what) + " frame shorter than " + std::to_string(n) + " bytes");
    return {};
  };
  switch (out.type) {
    case FrameType::SynStream: {
      TRYV(need(10, "SYN_STREAM"));
      out.stream_id = get32(body, 0) & 0x7fffffffu;
      out.associated_id = get32(body, 4) & 0x7fffffffu;
      out.priority = static_cast<uint8_t>(static_cast<unsigned char>(body[8]) >> 5);
      out.headers = TRY(decode_header_block(TRY(decompressor_.decompress(body.substr(10)))));
      if (out.stream_id == 0) return malformed("SYN_STREAM for stream 0");
      break;
    }
    case FrameType::SynReply:
    case FrameType::Headers: {
      TRYV(need(4, out.type == FrameType::SynReply ? "SYN_REPLY" : "HEADERS"));
      out.stream_id = get32(body, 0) & 0x7fffffffu;
      out.headers = TRY(decode_header_block(TRY(decompressor_.decompress(body.substr(4)))));
      if (out.stream_id == 0) return malformed("SYN_REPLY/HEADERS for stream 0");
      break;
    }
    case FrameType::RstStream:
      TRYV(need(8, "RST_STREAM"));
      out.stream_id = get32(body, 0) & 0x7fffffffu;
      out.status = get32(body, 4);
      break;
    case FrameType::Settings: {
      TRYV(need(4, "SETTINGS"));
      uint32_t n = get32(body, 0);
      if ((body.size() - 4) / 8 < n) return malformed("SETTINGS frame shorter than its " + std::to_string(n) + " entries");
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t idw = get32(body, 4 + 8 * i);
        out.settings.push_back({static_cast<uint8_t>(idw >> 24), idw & 0xffffff, get32(body, 8 + 8 * i)});
      }
      break;
    }
    case FrameType::Ping:
      TRYV(need(4, "PING"));
      out.ping_id = get32(body, 0);
      break;
    case FrameType::GoAway:
      TRYV(need(4, "GOAWAY"));
      out.stream_id = get32(body, 0) & 0x7fffffffu;
      if (body.size() >= 8) out.status = get32(body, 4);
      break;
    case FrameType::WindowUpdate:
      TRYV(need(8, "WINDOW_UPDATE"));
      out.stream_id = get32(body, 0) & 0x7fffffffu;
      out.delta_window = get32(body, 4) & 0x7fffffffu;
      break;
    default:
      out.type = FrameType::Unknown;  // skipped (SPDY says to ignore them); type 0 is not DATA
      break;
  }
  return 8 + len;
}

}  // namespace berth::kubestream::spdy
