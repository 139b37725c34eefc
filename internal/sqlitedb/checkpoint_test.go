package sqlitedb

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
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

// commitsBesideFirstPass sets c up so that the WAL holds frames its first
// pass cannot copy, as if committed while it ran: a reader keeps the
// snapshot of before 5 more commits until the first pass has run.
func commitsBesideFirstPass(t *testing.T, db *sql.DB, c *Checkpointer) {
	t.Helper()
	ctx := context.Background()
	reader, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close() })
	var n int
	if _, err := reader.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		t.Fatal(err)
	}
	if err := reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	insert(t, db, 5)
	c.betweenPasses = func() {
		if _, err := reader.ExecContext(ctx, "COMMIT"); err != nil {
			t.Error(err)
		}
	}
}

// The checkpoint's second pass, with the writers paused, copies what they
// committed during the first, so the WAL starts afresh though the writers
// never stopped.
func TestCheckpointRestartsWALUnderWrites(t *testing.T) {
	db := openBeside(t)
	insert(t, db, 1000)
	pauses := 0
	pause := func(context.Context) (func(), error) {
		pauses++
		return func() {}, nil
	}
	c := StartCheckpointer(db, time.Hour, 500, pause, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer c.Close()
	commitsBesideFirstPass(t, db, c)
	if err := c.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pauses != 1 {
		t.Fatalf("%d pauses, want 1: the commits beside the first pass were left", pauses)
	}
	insert(t, db, 1) // the commit that restarts the WAL
	if frames, _ := walFrames(t, db, "NOOP"); frames >= 1000 {
		t.Fatalf("WAL of %d frames after the checkpoint: it did not start afresh", frames)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 1006 {
		t.Fatalf("%d rows (%v), want 1006", n, err)
	}
}

// A WAL smaller than restart pages is copied as far as the first pass
// can, and the writers are never paused for it.
func TestCheckpointSmallWALNoPause(t *testing.T) {
	db := openBeside(t)
	insert(t, db, 100)
	c := StartCheckpointer(db, time.Hour, 500, func(context.Context) (func(), error) {
		t.Error("writers paused for a WAL below restart")
		return func() {}, nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer c.Close()
	commitsBesideFirstPass(t, db, c)
	if err := c.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if frames, copied := walFrames(t, db, "NOOP"); copied < 100 || copied >= frames {
		t.Fatalf("%d of %d frames copied: want the first 100+, not the 5 committed beside", copied, frames)
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
