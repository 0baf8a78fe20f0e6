#include "registry/layer_downloads.h"

#include <algorithm>

#include "registry/progress.h"

namespace berth::registry {

using content::Digest;

LayerDownloads::LayerDownloads(RepositoryClient& client, content::Store& store, std::vector<image::Descriptor> layers,
                               int parallel, int max_attempts, Reporter& report)
    : client_(client), store_(store), max_attempts_(max_attempts), report_(report) {
  for (auto& d : layers) {
    Layer l;
    l.descriptor = std::move(d);
    layers_.push_back(std::move(l));
  }
  size_t n = std::min<size_t>(layers_.size(), static_cast<size_t>(std::max(parallel, 1)));
  for (size_t i = 0; i < n; ++i) workers_.emplace_back([this] { work(); });
}

LayerDownloads::~LayerDownloads() {
  cancel();
  (void)wait();
}

void LayerDownloads::cancel() {
  cancelled_ = true;
  changed_.notify_all();
}

Result<void> LayerDownloads::wait() {
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  std::lock_guard lock(mu_);
  if (first_error_) return std::unexpected(*first_error_);
  return {};
}

void LayerDownloads::work() {
  for (;;) {
    Layer* layer;
    {
      std::lock_guard lock(mu_);
      if (next_ >= layers_.size() || first_error_ || cancelled_) return;
      layer = &layers_[next_++];
    }
    auto r = download(*layer);
    if (!r) {
      std::lock_guard lock(mu_);
      if (!first_error_) first_error_ = r.error();
    }
  }
}

void LayerDownloads::set_state(Layer& layer, Layer::State state, std::optional<Error> error) {
  {
    std::lock_guard lock(mu_);
    layer.state = state;
    layer.error = std::move(error);
  }
  changed_.notify_all();
}

Result<void> LayerDownloads::download(Layer& layer) {
  const auto& d = layer.descriptor;
  std::string id = short_id(d.digest.str());
  auto failed = [&](Error e) -> Result<void> {
    if (layer.stream) layer.stream->finish(e);
    set_state(layer, Layer::State::Failed, e);
    return std::unexpected(std::move(e));
  };
  uint64_t total = d.size > 0 ? static_cast<uint64_t>(d.size) : 0;
  // A resumable ingest: what an earlier, interrupted pull of this blob got
  // (a dropped connection, a killed berthd) is kept and continued.
  auto opened = store_.resumable_writer(d.digest, d.size > 0 ? std::optional<uint64_t>(total) : std::nullopt);
  if (!opened && opened.error().code == Errc::AlreadyExists) {  // another pull fetched it meanwhile
    report_.status("Download complete", id, true);
    set_state(layer, Layer::State::Stored);
    return {};
  }
  if (!opened) return failed(opened.error());
  auto writer = std::move(*opened);
  auto file = writer.open_reader();
  if (!file) return failed(file.error());
  layer.stream = GrowingBlob::make(std::move(*file));
  layer.stream->advance(writer.written());
  set_state(layer, Layer::State::Streaming);

  uint64_t step = std::max<uint64_t>(total / 100, 64 << 10), last_shown = 0;
  std::optional<Error> write_error;
  BodySink sink = [&](std::string_view chunk) {
    if (cancelled_) return false;
    if (auto w = writer.write(chunk); !w) {
      write_error = w.error();
      return false;
    }
    layer.stream->advance(writer.written());
    if (writer.written() - last_shown >= step || writer.written() == total) {
      last_shown = writer.written();
      report_.bytes("Downloading", id, writer.written(), total);
    }
    return true;
  };
  report_.bytes("Downloading", id, writer.written(), total);
  for (int attempt = 1;; ++attempt) {
    if (total && writer.written() == total) break;  // an earlier pull got it all
    auto r = client_.blob(d.digest, writer.written(), sink);
    if (cancelled_) return failed(Error{Errc::Unavailable, 0, "downloading " + d.digest.str() + ": cancelled"});
    if (write_error) return failed(Error{write_error->code, write_error->sys_errno,
                                         "downloading " + d.digest.str() + ": " + write_error->message});
    if (r && (!total || writer.written() >= total)) break;
    bool retry = attempt < max_attempts_ && (!r ? r.error().code == Errc::Unavailable : true);
    if (!retry) {
      if (!r) return failed(r.error());
      return failed(Error{Errc::Unavailable, 0,
                          "downloading " + d.digest.str() + ": the registry ended the blob after " +
                              std::to_string(writer.written()) + " of " + std::to_string(total) + " bytes"});
    }
    report_.status("Retrying from byte " + std::to_string(writer.written()), id);
  }
  report_.status("Verifying Checksum", id, true);
  auto committed = writer.commit();
  if (!committed)
    return failed(Error{Errc::InvalidArgument, 0,
                        "filesystem layer verification failed for digest " + d.digest.str() + ": " +
                            committed.error().message});
  report_.status("Download complete", id, true);
  set_state(layer, Layer::State::Stored);
  layer.stream->finish(std::nullopt);
  return {};
}

bool LayerDownloads::complete(const Digest& digest) {
  std::lock_guard lock(mu_);
  for (const auto& l : layers_)
    if (l.descriptor.digest == digest) return l.state == Layer::State::Stored;
  return true;  // not one of ours: the store had it
}

Result<std::unique_ptr<layer::ByteSource>> LayerDownloads::open(const Digest& digest) {
  std::unique_lock lock(mu_);
  auto it = std::find_if(layers_.begin(), layers_.end(), [&](const Layer& l) { return l.descriptor.digest == digest; });
  if (it == layers_.end()) return fail(Errc::Internal, "layer " + digest.str() + " is not being downloaded");
  Layer& layer = *it;
  // A download that never starts (another failed first, or cancel) ends the wait too.
  changed_.wait(lock, [&] { return layer.state != Layer::State::Queued || first_error_ || cancelled_; });
  if (layer.state == Layer::State::Failed) return std::unexpected(*layer.error);
  if (layer.stream) return layer.stream->reader();  // streaming or done: the same file
  if (layer.state == Layer::State::Stored) {
    lock.unlock();
    auto fd = TRY(store_.open_blob(digest));
    return std::unique_ptr<layer::ByteSource>(std::make_unique<layer::FileSource>(std::move(fd)));
  }
  if (first_error_) return std::unexpected(*first_error_);
  return fail(Errc::Unavailable, "downloading " + digest.str() + ": cancelled");
}

}  // namespace berth::registry
