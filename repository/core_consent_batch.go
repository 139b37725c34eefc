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

// AuditedUses records consent uses and the audit entries of the granted
// ones in one transaction: granted[i] is appended to the audit log if
// uses[i] is recorded, in the order of uses, after them.
type AuditedUses interface {
	UseConsentsAudited(ctx context.Context, uses []ConsentUse, granted []AuditEntry) ([]ConsentUsed, error)
}

var _ AuditedUses = (*core)(nil)

// UseConsents implements ConsentBatcher.
func (c *core) UseConsents(ctx context.Context, uses []ConsentUse) ([]ConsentUsed, error) {
	return c.UseConsentsAudited(ctx, uses, nil)
}

// UseConsentsAudited implements AuditedUses (granted may be nil: no
// entries). The consents' rows are locked in the order of their ids (uses
// of one consent keep their order), so two hosts' batches never wait for
// each other in a cycle; the audit log's head is taken after them.
func (c *core) UseConsentsAudited(ctx context.Context, uses []ConsentUse, granted []AuditEntry) ([]ConsentUsed, error) {
	if granted != nil && len(granted) != len(uses) {
		return nil, fmt.Errorf("catalog: %d consent uses with %d audit entries", len(uses), len(granted))
	}
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
		var entries []AuditEntry
		for i := range granted {
			if out[i].OK {
				entries = append(entries, granted[i])
			}
		}
		return c.appendAudit(ctx, tx, entries)
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: %d consent uses: %w", len(uses), err)
	}
	return out, nil
}
