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

// holdSnapshot begins a read transaction on a connection of its own and
// reads, so that it keeps the snapshot of now (and its WAL read mark)
// until it is committed.
func holdSnapshot(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	reader, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close() })
	if _, err := reader.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		t.Fatal(err)
	}
	if err := reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	return reader
}

// commitsBesideFirstPass sets c up so that the WAL holds frames its first
// pass cannot copy, as if committed while it ran: a reader keeps the
// snapshot of before 5 more commits until the first pass has run.
func commitsBesideFirstPass(t *testing.T, db *sql.DB, c *Checkpointer) {
	t.Helper()
	reader := holdSnapshot(t, db)
	insert(t, db, 5)
	c.betweenPasses = func() {
		if _, err := reader.ExecContext(context.Background(), "COMMIT"); err != nil {
			t.Error(err)
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// counting is a pause that counts its calls.
func counting(n *int) func(context.Context) (func(), error) {
	return func(context.Context) (func(), error) {
		*n++
		return func() {}, nil
	}
}

// The checkpoint's second pass, with the writers paused, copies what they
// committed during the first, so the WAL starts afresh though the writers
// never stopped.
func TestCheckpointRestartsWALUnderWrites(t *testing.T) {
	db := openBeside(t)
	insert(t, db, 1000)
	pauses := 0
	c := newCheckpointer(db, time.Hour, 500, counting(&pauses), quiet())
	defer c.Close()
	commitsBesideFirstPass(t, db, c)
	if err := c.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pauses != 1 {
		t.Fatalf("%d pauses, want 1", pauses)
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

// A reader that outlasts the second pass's wait keeps the WAL from
// restarting; the checkpoint after it ends restarts it.
func TestCheckpointRetriesAfterAReader(t *testing.T) {
	db := openBeside(t)
	ctx := context.Background()
	insert(t, db, 1000)
	reader := holdSnapshot(t, db)
	insert(t, db, 5)
	pauses := 0
	c := newCheckpointer(db, time.Hour, 500, counting(&pauses), quiet())
	defer c.Close()
	if err := c.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	insert(t, db, 1)
	if frames, _ := walFrames(t, db, "NOOP"); frames < 1000 {
		t.Fatalf("WAL of %d frames: it restarted under a reader of its frames", frames)
	}
	if _, err := reader.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := c.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	insert(t, db, 1)
	if frames, _ := walFrames(t, db, "NOOP"); frames >= 1000 || pauses != 2 {
		t.Fatalf("WAL of %d frames after %d pauses: want it started afresh, 2 pauses", frames, pauses)
	}
}

// The second pass waits for a reader of the WAL's frames to end, and the
// WAL then starts afresh (a PASSIVE second pass would copy only as far as
// the reader's snapshot, and the WAL would keep growing).
func TestCheckpointWaitsForAReader(t *testing.T) {
	db := openBeside(t)
	ctx := context.Background()
	insert(t, db, 1000)
	reader := holdSnapshot(t, db)
	insert(t, db, 5)
	ended := make(chan error, 1)
	c := newCheckpointer(db, time.Hour, 500, func(context.Context) (func(), error) {
		go func() { // the reader ends while the second pass waits
			time.Sleep(20 * time.Millisecond)
			_, err := reader.ExecContext(ctx, "COMMIT")
			ended <- err
		}()
		return func() {}, nil
	}, quiet())
	c.wait = time.Minute
	defer c.Close()
	if err := c.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; err != nil {
		t.Fatal(err)
	}
	insert(t, db, 1)
	if frames, _ := walFrames(t, db, "NOOP"); frames >= 1000 {
		t.Fatalf("WAL of %d frames: the second pass did not wait for the reader", frames)
	}
}

// A WAL smaller than restart frames is copied as far as the first pass
// can, and the writers are never paused for it.
func TestCheckpointSmallWALNoPause(t *testing.T) {
	db := openBeside(t)
	insert(t, db, 100)
	pauses := 0
	c := newCheckpointer(db, time.Hour, 500, counting(&pauses), quiet())
	defer c.Close()
	commitsBesideFirstPass(t, db, c)
	if err := c.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if frames, copied := walFrames(t, db, "NOOP"); pauses != 0 || copied < 100 || copied >= frames {
		t.Fatalf("%d pauses, %d of %d frames copied: want none, the first 100+ but not the 5 committed beside", pauses, copied, frames)
	}
}

// Close copies what the WAL holds: a short-lived process leaves nothing
// for a long-lived one to copy.
func TestCheckpointerCloseCopiesTheWAL(t *testing.T) {
	db := openBeside(t)
	insert(t, db, 100)
	newCheckpointer(db, time.Hour, 500, counting(new(int)), quiet()).Close()
	if frames, copied := walFrames(t, db, "NOOP"); frames < 100 || copied != frames {
		t.Fatalf("after Close: %d of %d frames copied, want all", copied, frames)
	}
}

// Wrote starts a checkpoint interval later.
func TestCheckpointerRunsAfterWrites(t *testing.T) {
	db := openBeside(t)
	c := StartCheckpointer(db, 10*time.Millisecond, 1<<20, counting(new(int)), quiet())
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
