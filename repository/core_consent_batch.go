package repository

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// ConsentUse is one use of a consent artifact for UseConsents: recorded at
// At if fewer than Limit uses are recorded at or after Since.
type ConsentUse struct {
	ConsentID string
	Since, At time.Time
	Limit     int
}

// ConsentUsed is the outcome of one ConsentUse: whether it was recorded
// and the uses in its window afterwards.
type ConsentUsed struct {
	OK   bool
	Uses int
}

// ConsentBatcher records many consent uses in one transaction: the group
// commit of the certificate API, whose every request is a use. Each use
// is judged as UseConsent judges it, in the order given, so two uses of
// one consent in a batch are counted one after the other.
type ConsentBatcher interface {
	UseConsents(ctx context.Context, uses []ConsentUse) ([]ConsentUsed, error)
}

var _ ConsentBatcher = (*core)(nil)

// UseConsents implements ConsentBatcher. The consents' rows are locked in
// the order of their ids (uses of one consent keep their order), so two
// hosts' batches never wait for each other in a cycle.
func (c *core) UseConsents(ctx context.Context, uses []ConsentUse) ([]ConsentUsed, error) {
	order := make([]int, len(uses))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(uses[a].ConsentID, uses[b].ConsentID) })
	out := make([]ConsentUsed, len(uses))
	err := c.inTx(ctx, func(tx tx) error {
		for _, i := range order {
			ok, n, err := c.useConsent(ctx, tx, uses[i])
			if err != nil {
				return err
			}
			out[i] = ConsentUsed{OK: ok, Uses: n}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: %d consent uses: %w", len(uses), err)
	}
	return out, nil
}
