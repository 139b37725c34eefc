package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// AuditEntry is one line of the append-only audit log: who did what to
// which document, when, in which batch and why. It never holds an Aadhaar
// number or other personal data.
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`  // ingest, push, api:<orgId>, or the operator
	Action   string    `json:"action"` // issue, update, revoke, suspend, reinstate, push, push-dead, pull
	URI      string    `json:"uri,omitempty"`
	Version  int       `json:"version,omitempty"`
	BatchID  string    `json:"batch,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// Audit actions.
const (
	AuditIssue     = "issue"
	AuditUpdate    = "update"
	AuditRevoke    = "revoke"
	AuditSuspend   = "suspend"
	AuditReinstate = "reinstate"
	AuditPush      = "push"
	AuditPushDead  = "push-dead"
	AuditPull      = "pull"
)

// AuditQuery selects entries; zero fields select everything.
type AuditQuery struct {
	URI   string
	Since time.Time
}

// ErrAuditTampered is wrapped by VerifyAuditChain's error: an entry's hash
// does not follow from its fields and its predecessor's hash.
var ErrAuditTampered = errors.New("audit log does not verify")

// Auditor keeps the hash-chained audit log. Catalog's Apply and Settle
// append to it in their own transactions.
type Auditor interface {
	// AppendAudit appends entries (their At, PrevHash and Hash are set here).
	AppendAudit(ctx context.Context, entries []AuditEntry) error
	// AuditLog calls fn with the entries q selects, oldest first.
	AuditLog(ctx context.Context, q AuditQuery, fn func(AuditEntry) error) error
	// VerifyAuditChain recomputes every hash and returns the number of
	// entries and the hash of the last one (worth recording elsewhere: it
	// also pins the log's length).
	VerifyAuditChain(ctx context.Context) (n int, head string, err error)
}

// auditHash chains e to prev: SHA-256 over prev and each field,
// length-prefixed so no two entries encode alike.
func auditHash(prev string, e *AuditEntry) string {
	h := sha256.New()
	for _, f := range []string{prev, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.URI,
		strconv.Itoa(e.Version), e.BatchID, e.Reason} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}
