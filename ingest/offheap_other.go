//go:build !linux

package ingest

func allocOffHeap(size int) []byte { return make([]byte, size) }

func freeOffHeap([]byte) {}
