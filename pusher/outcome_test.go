package pusher

import (
	"context"
	"errors"
	"testing"

	"github.com/issuerkit/issuerkit/repository"
)

func TestOutcome(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	boom := errors.New("boom")
	for _, c := range []struct {
		name   string
		ctx    context.Context
		runErr error
		after  repository.OutboxStats
		check  func(error) bool
	}{
		{"all pushed", context.Background(), nil, repository.OutboxStats{Pushed: 4}, func(err error) bool { return err == nil }},
		{"held only", context.Background(), nil, repository.OutboxStats{Pending: 2, Held: 2}, func(err error) bool { return err == nil }},
		{"run error first", context.Background(), boom, repository.OutboxStats{Pending: 3, Dead: 1}, func(err error) bool { return errors.Is(err, boom) }},
		{"interrupted", done, nil, repository.OutboxStats{Pending: 3}, func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"pending beats dead", context.Background(), nil, repository.OutboxStats{Pending: 3, Held: 1, Dead: 1}, func(err error) bool {
			var pe *PendingError
			return errors.As(err, &pe) && pe.N == 2 && pe.Error() == "2 rows are still pending: is the gateway http://gw up? run `issuerkit push --once` again later"
		}},
		{"dead", context.Background(), nil, repository.OutboxStats{Dead: 1}, func(err error) bool {
			var de *DeadLetterError
			return errors.As(err, &de) && de.N == 1 && de.Error() == "1 row is in the dead-letter queue: see `issuerkit status`, then `issuerkit push --retry-dead --once`"
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := Outcome(c.ctx, c.runErr, c.after, "http://gw"); !c.check(err) {
				t.Errorf("Outcome: %v", err)
			}
		})
	}
}
