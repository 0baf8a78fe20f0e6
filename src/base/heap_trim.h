// Gives the heap's free pages back to the kernel once a burst of requests is
// over. glibc keeps freed memory for reuse and returns only the top of the heap
// by itself: after 20 pods start at once berthd holds ~2 MiB it no longer uses.
// A request marks itself busy (HeapTrimmer::Busy); when the last one ends after
// a burst (two or more at once, or one that said it was big, an image pull), a
// background thread calls malloc_trim, at most about five times a second. Calls
// one at a time (a kubelet's polling, pods started in turn) trigger nothing:
// a trim makes the next calls fault the pages in again.
#pragma once

namespace berth {

class HeapTrimmer {
 public:
  class Busy {
   public:
    explicit Busy(bool big = false);
    ~Busy();
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;
  };
};

}  // namespace berth
