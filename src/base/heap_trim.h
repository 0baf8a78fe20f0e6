// Gives the heap's free pages back to the kernel once a burst of requests is
// over. glibc keeps freed memory for reuse and returns only the top of the heap
// by itself: after 20 pods start at once berthd holds ~2 MiB it no longer uses.
// A request marks itself busy (HeapTrimmer::Busy); when the last one ends, a
// background thread calls malloc_trim, at most about five times a second so a
// steady trickle of calls (a kubelet's polling) costs next to nothing.
#pragma once

namespace berth {

class HeapTrimmer {
 public:
  class Busy {
   public:
    Busy();
    ~Busy();
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;
  };
};

}  // namespace berth
