package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// Checkpointer checkpoints the WAL of a database opened with Beside, so
// that no commit waits for a whole checkpoint. With OnCommit the commit
// that crosses 4,000 pages copies them all and fsyncs the database before
// it returns, tens of milliseconds every few hundred milliseconds under
// load, and every writer queued behind it waits as long (the certificate
// API's p99).
//
// Interval after a write (Wrote), a checkpoint copies what the WAL holds
// into the database while the writers go on committing. That alone never
// lets the WAL start afresh while writes continue (a WAL is reused only
// once it has been copied whole), so once it holds restart pages a second
// pass, with the process's writers paused, copies the few they committed
// during the first, and the next commit starts the WAL from its
// beginning. On the bench VM at the certificate API's full load that is a
// pause of 12–16 ms (a few hundred pages and two fsyncs) every ~1.2 s for
// the catalog's 32,768 pages, where OnCommit paused 17–24 ms every
// ~0.14 s.
type Checkpointer struct {
	db       *sql.DB
	pause    func(context.Context) (resume func(), err error)
	interval time.Duration
	restart  int
	log      *slog.Logger
	kick     chan struct{}
	stop     context.CancelFunc
	done     chan struct{}
	// betweenPasses, when set (by tests), runs after the first pass.
	betweenPasses func()
}

// StartCheckpointer starts checkpointing db, interval after a write, and
// restarting its WAL past restart pages. pause stops the process's writers
// (it returns once none is writing, and resume lets them go on); writers
// of other processes are not paused, and the next checkpoint copies what
// they wrote.
func StartCheckpointer(db *sql.DB, interval time.Duration, restart int, pause func(context.Context) (func(), error), log *slog.Logger) *Checkpointer {
	ctx, stop := context.WithCancel(context.Background())
	c := &Checkpointer{db: db, pause: pause, interval: interval, restart: restart, log: log,
		kick: make(chan struct{}, 1), stop: stop, done: make(chan struct{})}
	go c.run(ctx)
	return c
}

// Wrote tells the checkpointer that a commit wrote to the WAL.
func (c *Checkpointer) Wrote() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Close stops the checkpointer; a checkpoint under way is interrupted
// (which SQLite undoes safely). Closing the database's last connection
// checkpoints what is left.
func (c *Checkpointer) Close() {
	c.stop()
	<-c.done
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
			c.log.Warn("sqlite: checkpoint failed; the next one retries", "err", err.Error())
		}
	}
}

// Checkpoint runs one checkpoint now: the first pass, and the second if
// the WAL holds restart pages and the writers added some during the
// first.
func (c *Checkpointer) Checkpoint(ctx context.Context) error {
	if _, _, err := c.checkpoint(ctx, "PASSIVE"); err != nil {
		return err
	}
	if c.betweenPasses != nil {
		c.betweenPasses()
	}
	frames, left, err := c.checkpoint(ctx, "NOOP") // what was committed meanwhile
	if err != nil || !left || frames < c.restart {
		return err
	}
	resume, err := c.pause(ctx)
	if err != nil {
		return err
	}
	defer resume()
	_, _, err = c.checkpoint(ctx, "PASSIVE")
	return err
}

// checkpoint runs a checkpoint in mode: PASSIVE copies what the WAL holds
// into the database without stopping any writer, NOOP copies nothing.
// left reports frames not copied yet. When another connection is
// checkpointing, that one does the work.
func (c *Checkpointer) checkpoint(ctx context.Context, mode string) (frames int, left bool, err error) {
	var busy, copied int
	if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &copied); err != nil {
		return 0, false, fmt.Errorf("wal_checkpoint(%s): %w", mode, err)
	}
	return frames, busy == 0 && copied < frames, nil
}
