package store

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// syscallENOTDIR: a key whose parent is a file is simply not found.
const syscallENOTDIR = syscall.ENOTDIR

// writeExcl creates path (failing with fs.ErrExist if it exists) and writes
// data, with plain system calls: an os.File would also register the
// descriptor with the poller, which regular files do not need. A failed
// write removes the file.
func writeExcl(path string, data []byte) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o640)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	for b := data; len(b) > 0; {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			os.Remove(path)
			return &os.PathError{Op: "write", Path: path, Err: err}
		}
		b = b[n:]
	}
	if err := unix.Close(fd); err != nil {
		os.Remove(path)
		return &os.PathError{Op: "close", Path: path, Err: err}
	}
	return nil
}

// syncFS flushes the whole file system that holds the open directory d
// (syncfs(2)); a variable so that a test can see PutBatch take this path.
// d must have been opened before the writes it is to make durable: syncfs
// reports a write-back error that happened since its descriptor was
// opened, so one opened after them would miss an error another process's
// syncfs (a second shard on the same store) had collected first.
var syncFS = syncFSLinux

func syncFSLinux(d *os.File) error { return unix.Syncfs(int(d.Fd())) }
