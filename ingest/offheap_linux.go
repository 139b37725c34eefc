package ingest

import "golang.org/x/sys/unix"

// allocOffHeap returns size zeroed bytes outside the Go heap (an anonymous
// mapping), so a large table neither counts against GOGC's target nor is
// scanned; pages cost memory only once written.
func allocOffHeap(size int) []byte {
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return make([]byte, size)
	}
	return b
}

// freeOffHeap unmaps b; a heap fallback is left to the GC (Munmap refuses
// it).
func freeOffHeap(b []byte) { _ = unix.Munmap(b) }
