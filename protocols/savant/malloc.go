package savant

/*
#include <malloc.h>

// streamgate_tune_malloc keeps freed message buffers in glibc's heap instead
// of handing them back to the kernel; it returns how many settings took.
static int streamgate_tune_malloc(int mmap_threshold, int trim_threshold) {
	int ok = 0;
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
	ok += mallopt(M_MMAP_THRESHOLD, mmap_threshold);
	ok += mallopt(M_TRIM_THRESHOLD, trim_threshold);
#endif
	return ok;
}
*/
import "C"

import "sync"

// libzmq copies every frame it sends or receives into a buffer it takes from
// the C heap and frees once the frame is on the wire. With glibc's defaults
// (trim above 128 KiB, dynamic mmap threshold) a stream of 100 KB frames
// makes the heap shrink after each frame and grow again for the next one, so
// every frame costs its 25 pages in page faults: that was half the CPU of a
// PUB→SUB stream of 100 KB frames (see BENCHMARKS.md). These settings keep
// frames up to mallocMmapThreshold in the heap and keep up to
// mallocTrimThreshold of free heap per arena for the next frames.
const (
	mallocMmapThreshold = 4 << 20  // frames above this are rare (4K keyframes) and mmapped as usual
	mallocTrimThreshold = 32 << 20 // free memory an arena keeps before giving it back
)

// TuneMalloc applies the C heap settings above once per process and
// reports whether the C library took both (glibc does; another libc is left
// as it is). The writer does it when it is created. It only changes the C
// heap (libzmq's buffers), never Go's.
var TuneMalloc = sync.OnceValue(func() bool {
	return C.streamgate_tune_malloc(mallocMmapThreshold, mallocTrimThreshold) == 2
})
