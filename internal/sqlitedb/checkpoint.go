package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// Checkpointer checkpoints the WAL of a database opened with Beside, so
// that no commit waits for a whole checkpoint. With OnCommit SQLite
// checkpoints in every commit that finds the WAL past 4,000 pages: it
// copies them and fsyncs the database before it returns, tens of
// milliseconds every few hundred milliseconds under load, and every
// writer queued behind it waits as long (the certificate API's p99).
//
// Interval after a write (Wrote), a checkpoint copies what the WAL holds
// into the database while the writers go on committing (PASSIVE). That
// alone never lets the WAL start afresh while writes continue: SQLite
// reuses a WAL only once it has been copied whole and no reader still
// reads from it. So once the WAL holds restart frames a second pass, with
// the process's writers paused, copies what they committed during the
// first and waits (briefly: restartWait) for the readers that began
// before it, after which the next commit writes the WAL from its start
// (RESTART). Where a reader outlasts the wait, the next checkpoint tries
// again. On the bench VM at the certificate API's full load the pause
// measured 12–16 ms (a few hundred pages and two fsyncs; before it waited
// for readers) every ~1.2 s for the catalog's 32,768 frames, where
// OnCommit paused 17–24 ms every ~0.14 s (docs/benchmarks.md).
type Checkpointer struct {
	db       *sql.DB
	pause    func(context.Context) (resume func(), err error)
	interval time.Duration
	restart  int
	log      *slog.Logger
	kick     chan struct{}
	stop     context.CancelFunc
	done     chan struct{}
	// conn runs the second passes, with a busy timeout of wait; opened
	// by the first.
	conn *sql.Conn
	wait time.Duration
	// betweenPasses, when set (by tests), runs after the first pass.
	betweenPasses func()
}

// restartWait bounds how long a second pass waits for the readers that
// began before it, its writers paused.
const restartWait = 50 * time.Millisecond

// StartCheckpointer starts checkpointing db, interval after a write, and
// restarting its WAL past restart frames. pause stops the process's
// transactions (it returns once none is writing, and resume lets them go
// on); its other writers, and those of other processes, wait for the
// second pass in SQLite's busy handler instead.
func StartCheckpointer(db *sql.DB, interval time.Duration, restart int, pause func(context.Context) (func(), error), log *slog.Logger) *Checkpointer {
	c := newCheckpointer(db, interval, restart, pause, log)
	ctx, stop := context.WithCancel(context.Background())
	c.stop, c.done = stop, make(chan struct{})
	go c.run(ctx)
	return c
}

// newCheckpointer is a Checkpointer that does not run by itself (its
// Checkpoint and Close work).
func newCheckpointer(db *sql.DB, interval time.Duration, restart int, pause func(context.Context) (func(), error), log *slog.Logger) *Checkpointer {
	done := make(chan struct{})
	close(done)
	return &Checkpointer{db: db, pause: pause, interval: interval, restart: restart, log: log,
		kick: make(chan struct{}, 1), stop: func() {}, done: done, wait: restartWait}
}

// Wrote tells the checkpointer that a commit wrote to the WAL.
func (c *Checkpointer) Wrote() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Close stops the checkpointer, abandoning a checkpoint under way (what it
// copied stays copied; nothing is lost), then copies what the WAL still
// holds, so that a short-lived process leaves no WAL behind for a
// long-lived one to copy.
func (c *Checkpointer) Close() {
	c.stop()
	<-c.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := c.checkpoint(ctx, "PASSIVE"); err != nil {
		c.log.Warn("sqlite: the last checkpoint failed; the WAL keeps what it did not copy", "err", err.Error())
	}
	if c.conn != nil {
		c.conn.Close()
	}
}

func (c *Checkpointer) run(ctx context.Context) {
	defer close(c.done)
	wait := time.NewTimer(c.interval)
	wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		wait.Reset(c.interval)
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		}
		if err := c.Checkpoint(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("sqlite: checkpoint failed; the one after the next write retries", "err", err.Error())
		}
	}
}

// Checkpoint runs one checkpoint now: the first pass, and the second if
// the WAL holds restart frames.
func (c *Checkpointer) Checkpoint(ctx context.Context) error {
	frames, busy, err := c.checkpoint(ctx, "PASSIVE")
	if err != nil || busy {
		return err // busy: another connection is checkpointing
	}
	if c.betweenPasses != nil {
		c.betweenPasses()
	}
	if frames < c.restart {
		return nil
	}
	resume, err := c.pause(ctx)
	if err != nil {
		return err
	}
	defer resume()
	if c.conn == nil {
		if c.conn, err = c.db.Conn(ctx); err != nil {
			return err
		}
		if _, err := c.conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", c.wait.Milliseconds())); err != nil {
			c.conn.Close()
			c.conn = nil
			return err
		}
	}
	if err := c.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(new(int), new(int), new(int)); err != nil {
		return fmt.Errorf("wal_checkpoint(RESTART): %w", err)
	}
	return nil // busy: a reader outlasted the wait, and the next checkpoint tries again
}

// checkpoint runs a checkpoint in mode on the pool: PASSIVE copies what
// the WAL holds into the database without waiting for any writer or
// reader, NOOP copies nothing. frames is the WAL's length; busy means
// another connection held the checkpoint and this one did nothing.
func (c *Checkpointer) checkpoint(ctx context.Context, mode string) (frames int, busy bool, err error) {
	var b, copied int
	if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&b, &frames, &copied); err != nil {
		return 0, false, fmt.Errorf("wal_checkpoint(%s): %w", mode, err)
	}
	return frames, b != 0, nil
}
