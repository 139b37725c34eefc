package pusher

import (
	"context"
	"fmt"

	"github.com/issuerkit/issuerkit/repository"
)

// PendingError says rows are still pending after a pass: the gateway is
// down or refusing for now. Rows held for a release are not counted.
type PendingError struct {
	N       int
	Gateway string
}

func (e *PendingError) Error() string {
	return fmt.Sprintf("%d %s still pending: is the gateway %s up? run `issuerkit push --once` again later",
		e.N, rowsAre(e.N), e.Gateway)
}

// DeadLetterError says rows are in the dead-letter queue.
type DeadLetterError struct{ N int }

func (e *DeadLetterError) Error() string {
	return fmt.Sprintf("%d %s in the dead-letter queue: see `issuerkit status`, then `issuerkit push --retry-dead --once`",
		e.N, rowsAre(e.N))
}

func rowsAre(n int) string {
	if n == 1 {
		return "row is"
	}
	return "rows are"
}

// Outcome is the verdict on a run that returned runErr and left the
// outbox as after: runErr, else ctx's error (interrupted), else a
// *PendingError when rows not held for a release are still pending, else
// a *DeadLetterError when the dead-letter queue is not empty, else nil.
func Outcome(ctx context.Context, runErr error, after repository.OutboxStats, gateway string) error {
	switch {
	case runErr != nil:
		return runErr
	case ctx.Err() != nil:
		return ctx.Err()
	case after.Pending > after.Held:
		// Rows held for a release are not stuck: they fall due then.
		return &PendingError{N: after.Pending - after.Held, Gateway: gateway}
	case after.Dead > 0:
		return &DeadLetterError{N: after.Dead}
	}
	return nil
}
