package sqlitedb

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// walFrames is the WAL's frames and how many of them are copied into the
// database, read by a checkpoint in mode (NOOP copies nothing, PASSIVE
// what it can).
func walFrames(t *testing.T, db *sql.DB, mode string) (frames, copied int) {
	t.Helper()
	var busy int
	if err := db.QueryRow("PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	return frames, copied
}

func openBeside(t *testing.T) *sql.DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), 4,
		[]string{`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`}, Beside)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func insert(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	for range n {
		if _, err := db.Exec(`INSERT INTO t (v) VALUES (hex(randomblob(300)))`); err != nil {
			t.Error(err)
			return
		}
	}
}

func TestOpenCheckpoints(t *testing.T) {
	for ck, want := range map[Checkpoints]int{OnCommit: 4000, Beside: 0} {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), 2, nil, ck)
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := db.QueryRow("PRAGMA wal_autocheckpoint").Scan(&got); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if got != want {
			t.Errorf("Checkpoints %d: wal_autocheckpoint %d, want %d", ck, got, want)
		}
	}
}

// A Beside database's commits never checkpoint: the WAL only grows.
func TestBesideCommitsDoNotCheckpoint(t *testing.T) {
	db := openBeside(t)
	insert(t, db, 300)
	if frames, copied := walFrames(t, db, "NOOP"); copied != 0 || frames < 300 {
		t.Fatalf("after 300 commits: %d frames, %d copied; want ≥ 300, none", frames, copied)
	}
}

// The checkpoint's second pass, with the writers paused, copies what they
// committed during the first, so the WAL starts afresh though a writer
// never stops.
func TestCheckpointRestartsWALUnderWrites(t *testing.T) {
	db := openBeside(t)
	insert(t, db, 1000)
	var writer sync.Mutex // the process's writers, as pause sees them
	pauses := 0
	pause := func(context.Context) (func(), error) {
		writer.Lock()
		pauses++
		return writer.Unlock, nil
	}
	c := StartCheckpointer(db, time.Hour, 500, pause, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer c.Close()

	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			default:
			}
			writer.Lock()
			insert(t, db, 1)
			writer.Unlock()
		}
	}()
	for range 3 { // a writer runs beside every first pass
		if err := c.Checkpoint(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	<-stopped
	if pauses == 0 {
		t.Fatal("no checkpoint needed its second pass: the writer never ran beside the first")
	}
	insert(t, db, 1) // the commit that restarts the WAL
	frames, _ := walFrames(t, db, "NOOP")
	if frames >= 1000 {
		t.Fatalf("WAL of %d frames after the checkpoints: it did not start afresh", frames)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n < 1001 {
		t.Fatalf("%d rows (%v), want ≥ 1001", n, err)
	}
}

// Wrote starts a checkpoint interval later; none starts without it.
func TestCheckpointerRunsAfterWrites(t *testing.T) {
	db := openBeside(t)
	c := StartCheckpointer(db, 10*time.Millisecond, 1<<20, func(context.Context) (func(), error) { return func() {}, nil },
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer c.Close()
	insert(t, db, 200)
	c.Wrote()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		frames, copied := walFrames(t, db, "NOOP")
		if frames > 0 && copied == frames {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after Wrote: %d of %d frames copied", copied, frames)
		}
	}
}
