package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
)

// AuditEntry is one line of the append-only audit log: who did what to
// which document, when, in which batch and why. It never holds an Aadhaar
// number or other personal data.
type AuditEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`  // ingest, push, api:<orgId>, or the operator
	Action  string    `json:"action"` // issue, update, revoke, suspend, reinstate, push, push-dead, pull
	URI     string    `json:"uri,omitempty"`
	Version int       `json:"version,omitempty"`
	BatchID string    `json:"batch,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	// ConsentID and Purpose are those of a certificate API use
	// (AuditAPISetu): the consent artifact it was made under, and why.
	ConsentID string `json:"consent,omitempty"`
	Purpose   string `json:"purpose,omitempty"`
	PrevHash  string `json:"prev_hash"`
	Hash      string `json:"hash"`
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
	AuditRelease   = "release"
	AuditAPISetu   = "apisetu" // a use of the API Setu certificate API
)

// AuditQuery selects entries; zero fields select everything.
type AuditQuery struct {
	URI       string
	ConsentID string // the entries of that consent artifact
	Since     time.Time
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

// auditHash chains e to prev: SHA-256 over prev and each field, each
// written as "len:value;" so no two entries encode alike. The encoding is
// part of every log already written: TestAuditHashStable pins it. ConsentID
// and Purpose, which came later, are hashed (after Reason) only when either
// is set, so every entry written before them keeps its hash.
func auditHash(prev string, e *AuditEntry) string {
	var buf [512]byte
	b := buf[:0]
	field := func(f string) {
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
		b = append(b, ';')
	}
	field(prev)
	var at [64]byte
	field(string(e.At.UTC().AppendFormat(at[:0], time.RFC3339Nano)))
	field(e.Actor)
	field(e.Action)
	field(e.URI)
	field(strconv.Itoa(e.Version))
	field(e.BatchID)
	field(e.Reason)
	if e.ConsentID != "" || e.Purpose != "" {
		field(e.ConsentID)
		field(e.Purpose)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
