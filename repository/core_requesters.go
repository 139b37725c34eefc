package repository

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// requesterRevocations counts the requesters this process revoked, in any
// catalog.
var requesterRevocations atomic.Int64

// RevocationCounter is a catalog that says when this process revoked a
// requester: a cache of requesters drops what it holds when the count
// moves, so a revocation made by the process is seen by it at once.
type RevocationCounter interface {
	RequesterRevocations() int64
}

var _ RevocationCounter = (*core)(nil)

// RequesterRevocations implements RevocationCounter. It counts this
// process's revocations in every catalog it opened, not another
// process's.
func (c *core) RequesterRevocations() int64 { return requesterRevocations.Load() }

const requesterColumns = `id, key_hash, doctypes, no_consent, rate_per_min, added_at, revoked_at`

func scanRequester(r row) (Requester, error) {
	var q Requester
	var doctypes string
	if err := r.Scan(&q.ID, &q.KeyHash, &doctypes, &q.NoConsent, &q.RatePerMin, scanTime(&q.AddedAt), scanTime(&q.RevokedAt)); err != nil {
		return Requester{}, err
	}
	if doctypes != "" {
		q.DocTypes = strings.Split(doctypes, ",")
	}
	return q, nil
}

// AddRequester implements Requesters. A DocType code has no comma, which
// joins them in the column.
func (c *core) AddRequester(ctx context.Context, r Requester) error {
	for _, dt := range r.DocTypes {
		if dt == "" || strings.Contains(dt, ",") {
			return fmt.Errorf("catalog: requester %s: bad doctype %q", r.ID, dt)
		}
	}
	n, err := c.d.exec(ctx, `INSERT INTO requesters (`+requesterColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7)
		ON CONFLICT (id) DO NOTHING`, r.ID, r.KeyHash, strings.Join(r.DocTypes, ","), r.NoConsent, r.RatePerMin,
		c.d.t(r.AddedAt), c.opt(r.RevokedAt))
	if err != nil {
		return fmt.Errorf("catalog: add requester %s: %w", r.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("catalog: requester %s: %w", r.ID, ErrExists)
	}
	return nil
}

// Requester implements Requesters.
func (c *core) Requester(ctx context.Context, id string) (Requester, error) {
	r, err := scanRequester(c.d.queryRow(ctx, `SELECT `+requesterColumns+` FROM requesters WHERE id = $1`, id))
	if err != nil {
		return Requester{}, fmt.Errorf("catalog: requester %s: %w", id, err)
	}
	return r, nil
}

// ListRequesters implements Requesters.
func (c *core) ListRequesters(ctx context.Context) ([]Requester, error) {
	var out []Requester
	rs, err := c.d.query(ctx, `SELECT `+requesterColumns+` FROM requesters ORDER BY id`)
	err = each(rs, err, func(r rows) error {
		q, err := scanRequester(r)
		out = append(out, q)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: requesters: %w", err)
	}
	return out, nil
}

// RevokeRequester implements Requesters. Revoking a revoked requester
// keeps the first revocation's time; a zero at is now.
func (c *core) RevokeRequester(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		at = time.Now()
	}
	n, err := c.d.exec(ctx, `UPDATE requesters SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, c.d.t(at))
	requesterRevocations.Add(1) // after the commit (or the attempt)
	if err != nil {
		return fmt.Errorf("catalog: revoke requester %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("catalog: requester %s: %w", id, ErrNotFound)
	}
	return nil
}

// TrustConsentManager implements Requesters.
func (c *core) TrustConsentManager(ctx context.Context, m ConsentManager) error {
	_, err := c.d.exec(ctx, `INSERT INTO consent_managers (id, cert_pem, added_at) VALUES ($1,$2,$3)
		ON CONFLICT (id) DO UPDATE SET cert_pem = excluded.cert_pem, added_at = excluded.added_at`, m.ID, m.CertPEM, c.d.t(m.AddedAt))
	if err != nil {
		return fmt.Errorf("catalog: trust consent manager %s: %w", m.ID, err)
	}
	return nil
}

// ConsentManagers implements Requesters.
func (c *core) ConsentManagers(ctx context.Context) ([]ConsentManager, error) {
	var out []ConsentManager
	rs, err := c.d.query(ctx, `SELECT id, cert_pem, added_at FROM consent_managers ORDER BY id`)
	err = each(rs, err, func(r rows) error {
		var m ConsentManager
		err := r.Scan(&m.ID, &m.CertPEM, scanTime(&m.AddedAt))
		out = append(out, m)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: consent managers: %w", err)
	}
	return out, nil
}

// UseConsent implements Requesters. The artifact's row in consents is
// locked first (SQLite: the transaction's write lock does it), so the uses
// of one artifact are counted and recorded one at a time, whichever host
// makes them.
func (c *core) UseConsent(ctx context.Context, consentID string, since, at time.Time, limit int) (bool, int, error) {
	var ok bool
	var uses int
	err := c.inTx(ctx, func(tx tx) error {
		var err error
		ok, uses, err = c.useConsent(ctx, tx, ConsentUse{ConsentID: consentID, Since: since, At: at, Limit: limit})
		return err
	})
	if err != nil {
		return false, 0, fmt.Errorf("catalog: consent %s: %w", consentID, err)
	}
	return ok, uses, nil
}

// useConsent counts and records one use inside tx.
// The consent's row is locked first where rows lock (PostgreSQL); SQLite's
// write transaction holds the whole database, so there the lock row is not
// needed and two of the four statements per use are saved.
func (c *core) useConsent(ctx context.Context, tx tx, u ConsentUse) (ok bool, uses int, err error) {
	if c.d.lockRows() != "" {
		if _, err := tx.exec(ctx, `INSERT INTO consents (id) VALUES ($1) ON CONFLICT (id) DO NOTHING`, u.ConsentID); err != nil {
			return false, 0, err
		}
		var id string
		if err := tx.queryRow(ctx, `SELECT id FROM consents WHERE id = $1`+c.d.lockRows(), u.ConsentID).Scan(&id); err != nil {
			return false, 0, err
		}
	}
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM consent_uses WHERE consent_id = $1 AND at >= $2`,
		u.ConsentID, c.d.t(orEpoch(u.Since))).Scan(&uses); err != nil {
		return false, 0, err
	}
	if uses >= u.Limit {
		return false, uses, nil
	}
	if _, err := tx.exec(ctx, `INSERT INTO consent_uses (consent_id, at) VALUES ($1, $2)`, u.ConsentID, c.d.t(u.At)); err != nil {
		return false, 0, err
	}
	return true, uses + 1, nil
}
