package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// layoutCost measures what the file system charges for the fs store's
// CONTRACT key layout, {IssuerID}/{DocType}/{DocID}/v{N}.xml: a directory
// and a file for every document. It creates n files of size bytes, one
// goroutine, unsynced (as the store's batches write them before their one
// syncfs), in that layout and flat (one directory, {DocID}-v1.xml), and
// gives each layout's rate and kernel time per file.
//
// Each run is synced, untimed, once measured: its half a gigabyte of dirty
// pages would otherwise be written back during what the bench measures
// next (the flat run, then the dry run, whose CPU the kernel's writeback
// took: 0.73 × openssl speed in the bench against 0.80–0.82 × alone).
//
// The files stay until the bench's directory is removed at its end: on
// ext4 without a journal (the bench VM's disk) the inode allocator skips
// inodes freed in the last minute or more, reading their inode blocks to
// find out (recently_deleted), and a 100k-row ingest that followed the
// deletion of these 200k files spent a sixth of its time there.
func layoutCost(dir string, n, size int) (contract, flat layoutRun, err error) {
	data := make([]byte, size)
	for _, perDoc := range []bool{true, false} {
		root := filepath.Join(dir, fmt.Sprintf("layout-%t", perDoc), "in.gov.bench", "SSCER")
		if err := os.MkdirAll(root, 0o750); err != nil {
			return contract, flat, err
		}
		sys0 := sysTime()
		start := time.Now()
		for i := range n {
			id := fmt.Sprintf("%011d", 51170000000+7*i)
			p := filepath.Join(root, id+"-v1.xml")
			if perDoc {
				if err := os.Mkdir(filepath.Join(root, id), 0o750); err != nil {
					return contract, flat, err
				}
				p = filepath.Join(root, id, "v1.xml")
			}
			if err := os.WriteFile(p, data, 0o640); err != nil {
				return contract, flat, err
			}
		}
		run := layoutRun{rate: float64(n) / time.Since(start).Seconds(), sysPerFile: (sysTime() - sys0) / time.Duration(n)}
		if err := syncFS(root); err != nil {
			return contract, flat, err
		}
		if perDoc {
			contract = run
		} else {
			flat = run
		}
	}
	return contract, flat, nil
}

type layoutRun struct {
	rate       float64
	sysPerFile time.Duration
}

func (r layoutRun) String() string {
	return fmt.Sprintf("%s files/s, %.0f µs of kernel time each", f0(r.rate), float64(r.sysPerFile.Nanoseconds())/1e3)
}

// syncFS flushes the file system that holds dir (syncfs(2)).
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// sysTime is the process's kernel CPU time so far.
func sysTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Stime.Nano())
}
