// A pull's layer downloads: at most `parallel` at a time (dockerd's
// max-concurrent-downloads), in the order given, each streamed into a
// resumable content-store ingest, a dropped transfer continued with a
// ranged GET from what was written. While a layer downloads, open() gives
// readers of it (GrowingBlob), so the puller unpacks each layer as its bytes
// arrive instead of after the whole image is on disk.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/error.h"
#include "content/store.h"
#include "image/oci.h"
#include "layer/byte_source.h"
#include "registry/client.h"
#include "registry/growing_blob.h"
#include "registry/reporter.h"

namespace berth::registry {

class LayerDownloads {
 public:
  // Starts the downloads; progress goes to report, id by id.
  LayerDownloads(RepositoryClient& client, content::Store& store, std::vector<image::Descriptor> layers,
                 int parallel, int max_attempts, Reporter& report);
  ~LayerDownloads();  // cancels what is still running and joins
  LayerDownloads(const LayerDownloads&) = delete;
  LayerDownloads& operator=(const LayerDownloads&) = delete;

  // The blob's bytes from the first: a reader that follows the download, or
  // the stored blob once it is there. Waits for its download to begin.
  // The download's error if it failed.
  Result<std::unique_ptr<layer::ByteSource>> open(const content::Digest& digest);
  // Whether the blob has downloaded and verified (for Docker's message order).
  bool complete(const content::Digest& digest);
  // Waits for every download; the first error, if any.
  Result<void> wait();

 private:
  struct Layer {
    image::Descriptor descriptor;
    enum class State { Queued, Streaming, Stored, Failed } state = State::Queued;
    std::shared_ptr<GrowingBlob> stream;  // while Streaming, and after (readers keep following it)
    std::optional<Error> error;
  };
  // Stops the downloads at their next chunk: the destructor's, when a pull returns early.
  void cancel();
  void work();
  Result<void> download(Layer& layer);
  void set_state(Layer& layer, Layer::State state, std::optional<Error> error = std::nullopt);

  RepositoryClient& client_;
  content::Store& store_;
  int max_attempts_;
  Reporter& report_;
  std::vector<Layer> layers_;
  std::mutex mu_;
  std::condition_variable changed_;
  size_t next_ = 0;
  std::optional<Error> first_error_;
  std::atomic<bool> cancelled_{false};
  std::vector<std::thread> workers_;
};

}  // namespace berth::registry
