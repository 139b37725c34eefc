package locker

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// A push is applied by one writer goroutine that commits whatever pushes
// are waiting in one transaction (group commit): concurrent pushes share a
// fsync instead of queueing for one each.

type applyOp struct {
	issuer string
	txns   []string // one per push
	pushes []xmlschema.PushDetails
	done   chan applyResult
}

type applyResult struct {
	results []xmlschema.PushResult
	err     error
}

// maxGroup bounds the pushes of one transaction.
const maxGroup = 512

// writer runs until ops is closed.
func (s *Store) writer(ops <-chan applyOp) {
	var group []applyOp
	for first := range ops {
		group = append(group[:0], first)
		n := len(first.pushes)
	drain:
		for n < maxGroup {
			select {
			case op, ok := <-ops:
				if !ok {
					break drain
				}
				group = append(group, op)
				n += len(op.pushes)
			default:
				break drain
			}
		}
		results, err := s.applyGroup(context.Background(), group)
		for i, op := range group {
			if err != nil {
				op.done <- applyResult{err: err}
			} else {
				op.done <- applyResult{results: results[i]}
			}
		}
	}
}

func (s *Store) applyGroup(ctx context.Context, group []applyOp) ([][]xmlschema.PushResult, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	out := make([][]xmlschema.PushResult, len(group))
	for i, op := range group {
		out[i] = make([]xmlschema.PushResult, len(op.pushes))
		for j := range op.pushes {
			r, err := s.apply(ctx, tx, op.issuer, op.txns[j], &op.pushes[j])
			if err != nil {
				return nil, err
			}
			out[i][j] = r
		}
	}
	return out, tx.Commit()
}

// check validates one push before it reaches the writer; the message never
// holds the Aadhaar number.
func check(issuer string, d *xmlschema.PushDetails) string {
	if err := aadhaar.Validate(d.Aadhaar); err != nil {
		return "invalid Aadhaar: " + err.Error()
	}
	u, err := xmlschema.ParseURI(d.URI)
	if err != nil {
		return err.Error()
	}
	if u.IssuerID != issuer {
		return fmt.Sprintf("URI %s does not belong to issuer %s", d.URI, issuer)
	}
	if d.DocType != "" && d.DocType != u.DocType {
		return fmt.Sprintf("DocType %s does not match URI %s", d.DocType, d.URI)
	}
	switch d.Action {
	case "A", "U", "D":
	default:
		return fmt.Sprintf("Action %q is not A, U or D", d.Action)
	}
	return ""
}

// apply records one validated push. Repeating a push (same issuer, txn and
// URI) changes nothing and succeeds again.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, issuer, txn string, d *xmlschema.PushDetails) (xmlschema.PushResult, error) {
	res := xmlschema.PushResult{URI: d.URI, Action: d.Action, Status: "1"}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM events WHERE issuer = ? AND txn = ? AND uri = ?`, issuer, txn, d.URI).Scan(&one)
	if err == nil {
		res.Message = "already applied"
		return res, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return res, err
	}
	citizen := s.CitizenHash(d.Aadhaar)
	var owner, state string
	err = tx.QueryRowContext(ctx, `SELECT citizen, state FROM uris WHERE uri = ?`, d.URI).Scan(&owner, &state)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return res, err
	}
	refuse := func(msg string) (xmlschema.PushResult, error) {
		res.Status, res.Message = "0", msg
		return res, nil
	}
	ts := now()
	switch {
	case exists && owner != citizen:
		return refuse(xmlschema.MsgExistsElsewhere)
	case d.Action == "A" && exists && state == "active":
		return refuse(xmlschema.MsgExistsHere)
	case d.Action == "D" && !exists:
		res.Message = "URI is in no locker"
		return res, nil
	case d.Action == "D":
		if _, err := tx.ExecContext(ctx, `UPDATE uris SET state = 'deleted', updated_at = ? WHERE uri = ?`, ts, d.URI); err != nil {
			return res, err
		}
		res.Message = "URI deleted"
	default: // A of a new or deleted URI, U
		if _, err := tx.ExecContext(ctx, `INSERT INTO uris (`+docCols+`) VALUES (?,?,?,?,?,?,?,?,?,'active',?)
			ON CONFLICT (uri) DO UPDATE SET doctype = excluded.doctype, doc_name = excluded.doc_name, doc_id = excluded.doc_id,
			issued_on = excluded.issued_on, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
			state = 'active', updated_at = excluded.updated_at`,
			d.URI, issuer, citizen, d.DocType, d.DocName, d.DocID, d.IssuedOn, d.ValidFrom, d.ValidTo, ts); err != nil {
			return res, err
		}
		res.Message = map[string]string{"A": "URI added", "U": "URI updated"}[d.Action]
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (uri, issuer, citizen, action, txn, at) VALUES (?,?,?,?,?,?)`,
		d.URI, issuer, citizen, d.Action, txn, ts); err != nil {
		return res, err
	}
	return res, nil
}
