package repository

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/xmlschema"
)

// ErrConflict: a change was based on a version the catalog no longer has as
// current (another writer got there first).
var ErrConflict = errors.New("document changed concurrently")

// Document is the catalog's row for one URI: its current version.
type Document struct {
	URI          string
	DocType      string
	DocID        string
	Version      int
	ObjectKey    string
	ObjectSHA256 string // hex SHA-256 of the stored bytes; checked on every read
	ContentHash  string // hash of the profile-mapped record values
	Status       xmlschema.Status
	SearchKey    string // see SearchKey
	UIDHash      string // aadhaar.Keyring.LookupHash, empty when no Aadhaar
	HolderName   string
	HolderDOB    string // DD-MM-YYYY
	IssueDate    string // DD-MM-YYYY of the current version
	BatchID      string
	UpdatedAt    time.Time
	// ReleaseAt, when set and still ahead, holds the document back: it is
	// issued and signed but not yet public (results day), so the API
	// answers its holder "pending" and its push waits until then.
	ReleaseAt time.Time
}

// Held reports whether the document is still held back at now.
func (d Document) Held(now time.Time) bool {
	return !d.ReleaseAt.IsZero() && now.Before(d.ReleaseAt)
}

// pushAfter is when a push queued at now for a document held until
// release may first be sent.
func pushAfter(now, release time.Time) time.Time {
	if release.After(now) {
		return release
	}
	return now
}

// releaseEntry is the audit entry of a Release.
func releaseEntry(doctype string, n int, at, now time.Time) AuditEntry {
	what := "every doctype"
	if doctype != "" {
		what = doctype
	}
	when := "now"
	if at.After(now) {
		when = "at " + at.UTC().Format(time.RFC3339)
	}
	return AuditEntry{Actor: "release", Action: AuditRelease,
		Reason: fmt.Sprintf("%d held documents of %s released %s", n, what, when)}
}

// Push actions (digilocker-spec.md §5).
const (
	ActionAdd    = "A"
	ActionUpdate = "U"
	ActionDelete = "D"
)

// OutboxEntry is a push to a citizen's locker, written in the same
// transaction as the document version it announces.
type OutboxEntry struct {
	Action     string
	DocName    string
	IssuedOn   string // dd/mm/yyyy
	ValidFrom  string // dd/mm/yyyy
	ValidTo    string // dd/mm/yyyy or empty
	AadhaarEnc []byte // aadhaar.Keyring.Encrypt(number, uri)
}

// Change records a new version of one document.
type Change struct {
	Doc         Document // the new current state; Doc.Version is the new version
	PrevVersion int      // the current version the change was based on; 0 for a new URI
	Size        int64
	Outbox      *OutboxEntry // nil when there is nothing to push
	// The audit entry Apply writes: Action defaults to issue or update,
	// Actor to "ingest".
	AuditAction, Actor, Reason string
}

// Version is one stored version of a document.
type Version struct {
	Version   int              `json:"version"`
	Status    xmlschema.Status `json:"status"`
	BatchID   string           `json:"batch"`
	CreatedAt time.Time        `json:"created_at"`
}

// Batch is one run of ingest.
type Batch struct {
	ID         string    `json:"id"`
	Profile    string    `json:"profile"`
	DocType    string    `json:"doctype"`
	Inputs     string    `json:"inputs"`
	State      string    `json:"state"` // running, done, failed, interrupted
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Counts
	// Fingerprint identifies the inputs (paths, sizes, times) so that a
	// rerun of the same command can resume this batch.
	Fingerprint string `json:"-"`
	// ReleaseAt holds the batch's new documents back until then (zero:
	// public at once); a resumed run holds the rest of them too.
	ReleaseAt time.Time `json:"release_at,omitzero"`
	// Mark is the batch's progress journal.
	Mark Watermark `json:"-"`
}

// Watermark records how far a batch got: every row of inputs before
// InputIndex, and of input InputIndex every row up to sequence Seq (0-based,
// -1 for none), is committed — documents, counts and rejects alike.
type Watermark struct {
	InputIndex  int
	Seq         int
	Counts      Counts
	RejectsPath string // report of input InputIndex, if any
	RejectsSize int64  // its durable length at this mark
}

// Counts are a batch's row outcomes.
type Counts struct {
	Read      int `json:"read"`
	Issued    int `json:"issued"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

// Stats summarizes the catalog for `issuerkit status`.
type Stats struct {
	Documents int                       `json:"documents"`
	ByStatus  map[string]int            `json:"by_status"`
	ByDocType map[string]map[string]int `json:"by_doctype"`
	Outbox    OutboxStats               `json:"outbox"`
	// Held counts documents not yet released; NextRelease is the earliest
	// time one of them is.
	Held        int        `json:"held"`
	NextRelease *time.Time `json:"next_release,omitempty"`
	Batches     []Batch    `json:"batches"`
}

func newStats() Stats {
	return Stats{ByStatus: map[string]int{}, ByDocType: map[string]map[string]int{}, Batches: []Batch{}}
}

// add counts n documents of doctype with status.
func (s *Stats) add(doctype, status string, n int) {
	s.Documents += n
	s.ByStatus[status] += n
	if s.ByDocType[doctype] == nil {
		s.ByDocType[doctype] = map[string]int{}
	}
	s.ByDocType[doctype][status] = n
}

// OutboxStats counts outbox rows by state.
type OutboxStats struct {
	Pending int `json:"pending"`
	Pushed  int `json:"pushed"`
	Dead    int `json:"dead"`
	// Held counts the pending rows that wait for their document's release
	// (they are not stuck: they fall due then).
	Held int `json:"held"`
}

// Catalog knows every URI. Implementations are safe for concurrent use.
type Catalog interface {
	// Current returns the document's current row, or ErrNotFound.
	Current(ctx context.Context, uri string) (Document, error)
	// FindBySearchKey returns the document of doctype with that search key,
	// or ErrNotFound.
	FindBySearchKey(ctx context.Context, doctype, searchKey string) (Document, error)
	// FindByUID returns the most recently updated document of doctype
	// issued to the holder with that lookup hash, or ErrNotFound.
	FindByUID(ctx context.Context, doctype, uidHash string) (Document, error)
	// ForEachURI calls fn with every URI of doctype, in no set order.
	ForEachURI(ctx context.Context, doctype string, fn func(uri string) error) error
	// HasVersion reports whether the catalog has committed that version.
	HasVersion(ctx context.Context, uri string, version int) (bool, error)
	// Apply commits all changes in one transaction, or none. A change whose
	// PrevVersion is not the current version fails with ErrConflict. A
	// non-nil mark advances the batch's journal in the same transaction.
	Apply(ctx context.Context, batchID string, changes []Change, mark *Watermark) error
	// ResumableBatch returns the newest unfinished batch (running,
	// interrupted or failed) of that profile and input fingerprint, or
	// ErrNotFound.
	ResumableBatch(ctx context.Context, profile, fingerprint string) (Batch, error)
	// StartBatch records a new batch; FinishBatch records its outcome.
	StartBatch(ctx context.Context, b Batch) error
	FinishBatch(ctx context.Context, b Batch) error
	// Stats counts documents, outbox rows and recent batches.
	Stats(ctx context.Context, lastBatches int) (Stats, error)
	// Outbox drains the pushes Apply queued.
	Outbox
	// Auditor keeps the audit log Apply, Settle and the API append to.
	Auditor
	// Release changes when held documents become public: every document
	// of doctype (of any doctype when empty) still held now becomes public
	// at at — at once when at is not ahead — and its pushes not yet tried
	// wait until then. It returns how many documents it changed.
	Release(ctx context.Context, doctype string, at time.Time) (int, error)
	// History returns every version of uri, oldest first.
	History(ctx context.Context, uri string) ([]Version, error)
	// Requesters keeps the API Setu clients and their consent uses.
	Requesters
	Close() error
}

// SearchKey builds the canonical search key of a document from its profile's
// search parameters (e.g. RollNo and Year): name=value pairs sorted by name,
// joined by the ASCII unit separator.
func SearchKey(params map[string]string) string {
	pairs := make([]SearchParam, 0, len(params))
	for n, v := range params {
		pairs = append(pairs, SearchParam{n, v})
	}
	return SearchKeyOf(pairs)
}

// SearchParam is one name=value pair of a search key.
type SearchParam struct{ Name, Value string }

// SearchKeyOf is SearchKey of pairs whose names are distinct, which it
// sorts in place: the API builds a request's key this way without a map.
func SearchKeyOf(pairs []SearchParam) string {
	slices.SortFunc(pairs, func(x, y SearchParam) int { return strings.Compare(x.Name, y.Name) })
	n := 0
	for _, p := range pairs {
		n += len(p.Name) + len(p.Value) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte(0x1f)
		}
		b.WriteString(p.Name)
		b.WriteByte('=')
		b.WriteString(p.Value)
	}
	return b.String()
}
