// Pull progress lines byte for byte as dockerd writes them: Go's json.Marshal
// of a JSONMessage (omitempty fields, HTML-safe escapes: ">" is \u003e) with
// the bar JSONProgress.String() draws.
#include "registry/progress.h"

#include <gtest/gtest.h>

using namespace berth::registry;

namespace {

const std::string kId = "a1b2c3d4e5f6";

// "[" + n "=" + ">" + (50 - n) spaces + "] ", as it appears in the JSON text.
std::string bar(int n) { return "[" + std::string(n, '=') + "\\u003e" + std::string(50 - n, ' ') + "] "; }

// Messages built field by field (designated initializers that skip fields warn).
ProgressMessage status(std::string text, std::string id = "") {
  ProgressMessage m;
  m.status = std::move(text);
  m.id = std::move(id);
  return m;
}
ProgressMessage layer_status(std::string text) {
  ProgressMessage m = status(std::move(text), kId);
  m.empty_detail = true;
  return m;
}
ProgressMessage transfer(std::string text, std::optional<uint64_t> current, std::optional<uint64_t> total) {
  ProgressMessage m = status(std::move(text), kId);
  m.current = current;
  m.total = total;
  return m;
}

TEST(Progress, StatusOnly) {
  EXPECT_EQ(format_progress(status("Pulling from library/busybox", "latest")),
            "{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}\r\n");
  EXPECT_EQ(format_progress(status("Digest: sha256:abc")), "{\"status\":\"Digest: sha256:abc\"}\r\n");
}

TEST(Progress, LayerStatusWithEmptyDetail) {
  EXPECT_EQ(format_progress(layer_status("Pulling fs layer")),
            "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"a1b2c3d4e5f6\"}\r\n");
  EXPECT_EQ(format_progress(layer_status("Download complete")),
            "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"a1b2c3d4e5f6\"}\r\n");
}

TEST(Progress, DownloadingAtTheStart) {
  // 10 of 2048 bytes is 0%: the bar is the arrow alone.
  EXPECT_EQ(format_progress(transfer("Downloading", 10, 2048)),
            "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":10,\"total\":2048},"
            "\"progress\":\"[\\u003e                                                  ]      10B/2.048kB\","
            "\"id\":\"a1b2c3d4e5f6\"}\r\n");
}

TEST(Progress, DownloadingHalfway) {
  EXPECT_EQ(format_progress(transfer("Downloading", 1024, 2048)),
            "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1024,\"total\":2048},"
            "\"progress\":\"" + bar(25) + " 1.024kB/2.048kB\",\"id\":\"a1b2c3d4e5f6\"}\r\n");
  // 1/3 is 33%, drawn as 16 columns (Go's int(33.3) / 2).
  EXPECT_EQ(format_progress(transfer("Extracting", 1000000, 3000000)),
            "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":1000000,\"total\":3000000},"
            "\"progress\":\"" + bar(16) + "     1MB/3MB\",\"id\":\"a1b2c3d4e5f6\"}\r\n");
}

TEST(Progress, DownloadingDone) {
  EXPECT_EQ(format_progress(transfer("Downloading", 2048, 2048)),
            "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":2048,\"total\":2048},"
            "\"progress\":\"[==================================================\\u003e] "
            " 2.048kB/2.048kB\",\"id\":\"a1b2c3d4e5f6\"}\r\n");
}

TEST(Progress, CurrentBeyondTotalHidesTheTotal) {
  EXPECT_EQ(format_progress(transfer("Downloading", 3000, 2048)),
            "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":3000,\"total\":2048},"
            "\"progress\":\"" + bar(50) + "     3kB\",\"id\":\"a1b2c3d4e5f6\"}\r\n");
}

TEST(Progress, NoTotalNoBar) {
  EXPECT_EQ(format_progress(transfer("Downloading", 1536000, std::nullopt)),
            "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1536000},"
            "\"progress\":\" 1.536MB\",\"id\":\"a1b2c3d4e5f6\"}\r\n");
  // Zeros are omitted (omitempty), and with nothing to show there is no "progress".
  EXPECT_EQ(format_progress(transfer("Waiting", 0, 0)),
            "{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"a1b2c3d4e5f6\"}\r\n");
  EXPECT_EQ(format_progress(transfer("Downloading", 0, 2048)),
            "{\"status\":\"Downloading\",\"progressDetail\":{\"total\":2048},\"progress\":\"" + bar(0) +
                "      0B/2.048kB\",\"id\":\"a1b2c3d4e5f6\"}\r\n");
}

TEST(Progress, EscapesLikeGo) {
  EXPECT_EQ(format_progress(status("a \"b\"\\\n<c>&\t")),
            "{\"status\":\"a \\\"b\\\"\\\\\\n\\u003cc\\u003e\\u0026\\t\"}\r\n");
}

TEST(Progress, Error) {
  EXPECT_EQ(format_error("manifest for busybox:nope not found: manifest unknown"),
            "{\"errorDetail\":{\"message\":\"manifest for busybox:nope not found: manifest unknown\"},"
            "\"error\":\"manifest for busybox:nope not found: manifest unknown\"}\r\n");
  EXPECT_EQ(format_error("bad \"quote\" <x>"),
            "{\"errorDetail\":{\"message\":\"bad \\\"quote\\\" \\u003cx\\u003e\"},"
            "\"error\":\"bad \\\"quote\\\" \\u003cx\\u003e\"}\r\n");
}

TEST(Progress, HumanSize) {
  EXPECT_EQ(human_size(0), "0B");
  EXPECT_EQ(human_size(999), "999B");
  EXPECT_EQ(human_size(1000), "1kB");
  EXPECT_EQ(human_size(1024), "1.024kB");
  EXPECT_EQ(human_size(2500000), "2.5MB");
  EXPECT_EQ(human_size(1536000), "1.536MB");
  EXPECT_EQ(human_size(12345678), "12.35MB");
  EXPECT_EQ(human_size(999999), "1000kB");  // rounds within the unit, as Go does
  EXPECT_EQ(human_size(3e12), "3TB");
}

TEST(Progress, ShortId) {
  EXPECT_EQ(short_id("sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"), "abcdef012345");
  EXPECT_EQ(short_id("abcdef0123456789"), "abcdef012345");
  EXPECT_EQ(short_id("sha256:abc"), "abc");
  EXPECT_EQ(short_id(""), "");
}

}  // namespace
