package savant

import "testing"

// On Debian (glibc) both settings must take: without them every 100 KB
// frame costs libzmq a heap trim and 25 page faults (see BENCHMARKS.md).
func TestTuneMallocTakes(t *testing.T) {
	if !TuneMalloc() {
		t.Fatal("glibc refused M_MMAP_THRESHOLD or M_TRIM_THRESHOLD")
	}
	if !TuneMalloc() {
		t.Fatal("a second call changed the answer")
	}
}
