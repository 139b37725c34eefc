// The sandbox's store: directory, SMS outbox, citizens, sessions, pulls,
// activity, requesters and consent sessions in one SQLite file; a citizen
// is known by a keyed hash of the Aadhaar number (HMAC-SHA256 with the
// locker's own key), never the number.

package locker

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/internal/sqlitedb"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// Files in a locker's data directory.
const (
	DBFile  = "locker.db"
	KeyFile = "locker.key" // 0600: the citizen-hash key
)

// ErrNotFound: no such issuer, citizen or URI.
var ErrNotFound = errors.New("not found")

// Store is a locker's data directory: issuers, URIs per citizen, and the
// history of pushes.
type Store struct {
	db   *sql.DB
	key  []byte
	seal *aadhaar.Keyring // what linked Aadhaar numbers are sealed with (sealKeyring)
	dir  string
}

var schema = []string{
	`CREATE TABLE issuers (
		id        TEXT PRIMARY KEY,
		api_key   TEXT NOT NULL,
		pull_url  TEXT NOT NULL,
		cert_pem  TEXT NOT NULL,
		added_at  TEXT NOT NULL
	);
	CREATE TABLE uris (
		uri        TEXT PRIMARY KEY,
		issuer     TEXT NOT NULL,
		citizen    TEXT NOT NULL,
		doctype    TEXT NOT NULL,
		doc_name   TEXT NOT NULL,
		doc_id     TEXT NOT NULL,
		issued_on  TEXT NOT NULL,
		valid_from TEXT NOT NULL,
		valid_to   TEXT NOT NULL,
		state      TEXT NOT NULL CHECK (state IN ('active','deleted')),
		updated_at TEXT NOT NULL
	);
	CREATE INDEX uris_citizen ON uris(citizen, state);
	CREATE TABLE events (
		id      INTEGER PRIMARY KEY AUTOINCREMENT,
		uri     TEXT NOT NULL,
		issuer  TEXT NOT NULL,
		citizen TEXT NOT NULL,
		action  TEXT NOT NULL,
		txn     TEXT NOT NULL,
		at      TEXT NOT NULL
	);
	CREATE UNIQUE INDEX events_txn ON events(issuer, txn, uri);
	CREATE INDEX events_uri ON events(uri, id);`,
	sandboxSchema,
}

// Open opens (creating if needed) the locker data directory dir.
func Open(ctx context.Context, dir string) (*Store, error) {
	// 0700 also when it existed (mkdir leaves 0755): its key and database
	// hold issuer keys, OTPs and citizens' KYC.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("locker data %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("locker data %s: %w", dir, err)
	}
	key, err := loadOrCreateKey(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, err
	}
	db, err := sqlitedb.Open(ctx, filepath.Join(dir, DBFile), 4, schema, sqlitedb.OnCommit)
	if err != nil {
		return nil, fmt.Errorf("locker data %s: %w", dir, err)
	}
	seal, err := sealKeyring(key)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("locker data %s: %w", dir, err)
	}
	return &Store{db: db, key: key, seal: seal, dir: dir}, nil
}

func loadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("locker key: %w", err)
		}
		if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
		return k, f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("locker key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("locker key %s is accessible to other users (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) < 16 {
		return nil, fmt.Errorf("locker key %s: not a hex key", path)
	}
	return k, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// CitizenHash is how the locker names the holder of an Aadhaar number: the
// hex HMAC-SHA256 of the number under the locker's key.
func (s *Store) CitizenHash(aadhaar string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(aadhaar))
	return hex.EncodeToString(m.Sum(nil))
}

// Issuer is an issuer registered with the locker.
type Issuer struct {
	ID      string `json:"id"`
	APIKey  string `json:"-"`
	PullURL string `json:"pull_url"`
	Cert    *x509.Certificate
	CertPEM string `json:"-"`
}

// AddIssuer registers (or replaces) an issuer: its ID, the API key both
// sides sign with, the base URL of its repository API and its signing
// certificate (PEM).
func (s *Store) AddIssuer(ctx context.Context, id, apiKey, pullURL string, certPEM []byte) error {
	if err := xmlschema.ValidateIssuerID(id); err != nil {
		return fmt.Errorf("--id: %w", err)
	}
	if strings.TrimSpace(apiKey) == "" {
		return errors.New("the API key is empty")
	}
	if u, err := url.Parse(pullURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--pull-url %q is not an http(s) URL", pullURL)
	}
	if _, err := parseCert(certPEM); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO issuers (id, api_key, pull_url, cert_pem, added_at) VALUES (?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET api_key = excluded.api_key, pull_url = excluded.pull_url, cert_pem = excluded.cert_pem`,
		id, strings.TrimSpace(apiKey), strings.TrimSuffix(pullURL, "/"), string(certPEM), now())
	if err != nil {
		return fmt.Errorf("add issuer %s: %w", id, err)
	}
	return nil
}

func parseCert(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("--cert: not a PEM certificate")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("--cert: %w", err)
	}
	return c, nil
}

// Issuer returns a registered issuer.
func (s *Store) Issuer(ctx context.Context, id string) (*Issuer, error) {
	is := &Issuer{ID: id}
	err := s.db.QueryRowContext(ctx, `SELECT api_key, pull_url, cert_pem FROM issuers WHERE id = ?`, id).
		Scan(&is.APIKey, &is.PullURL, &is.CertPEM)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("issuer %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if is.Cert, err = parseCert([]byte(is.CertPEM)); err != nil {
		return nil, fmt.Errorf("issuer %s: %w", id, err)
	}
	return is, nil
}

// Document is a URI in a citizen's locker.
type Document struct {
	URI       string    `json:"uri"`
	Issuer    string    `json:"issuer"`
	Citizen   string    `json:"citizen"`
	DocType   string    `json:"doctype"`
	DocName   string    `json:"doc_name"`
	DocID     string    `json:"doc_id"`
	IssuedOn  string    `json:"issued_on"`
	ValidFrom string    `json:"valid_from"`
	ValidTo   string    `json:"valid_to,omitempty"`
	State     string    `json:"state"` // active or deleted
	UpdatedAt string    `json:"updated_at"`
	History   []Event   `json:"history,omitempty"`
	updated   time.Time // parsed UpdatedAt
}

// Event is one push the locker applied.
type Event struct {
	Action string `json:"action"`
	Txn    string `json:"txn"`
	At     string `json:"at"`
}

const docCols = `uri, issuer, citizen, doctype, doc_name, doc_id, issued_on, valid_from, valid_to, state, updated_at`

func scanDoc(sc interface{ Scan(...any) error }) (Document, error) {
	var d Document
	err := sc.Scan(&d.URI, &d.Issuer, &d.Citizen, &d.DocType, &d.DocName, &d.DocID, &d.IssuedOn, &d.ValidFrom,
		&d.ValidTo, &d.State, &d.UpdatedAt)
	d.updated, _ = time.Parse(time.RFC3339Nano, d.UpdatedAt)
	return d, err
}

// Issued returns a citizen's active documents, newest first.
func (s *Store) Issued(ctx context.Context, citizen string) ([]Document, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+docCols+` FROM uris WHERE citizen = ? AND state = 'active'
		ORDER BY updated_at DESC, uri`, citizen)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Document{}
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Document returns one URI of a citizen, active or not.
func (s *Store) Document(ctx context.Context, citizen, uri string) (Document, error) {
	d, err := scanDoc(s.db.QueryRowContext(ctx, `SELECT `+docCols+` FROM uris WHERE uri = ? AND citizen = ?`, uri, citizen))
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, ErrNotFound
	}
	return d, err
}

// All calls fn with every URI the locker holds, with its history, in URI
// order.
func (s *Store) All(ctx context.Context, fn func(Document) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+docCols+` FROM uris ORDER BY uri`)
	if err != nil {
		return err
	}
	defer rows.Close()
	hist, err := s.db.PrepareContext(ctx, `SELECT action, txn, at FROM events WHERE uri = ? ORDER BY id`)
	if err != nil {
		return err
	}
	defer hist.Close()
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return err
		}
		hr, err := hist.QueryContext(ctx, d.URI)
		if err != nil {
			return err
		}
		for hr.Next() {
			var e Event
			if err := hr.Scan(&e.Action, &e.Txn, &e.At); err != nil {
				hr.Close()
				return err
			}
			d.History = append(d.History, e)
		}
		err = hr.Err() // a history cut short is an error, not a shorter one
		hr.Close()
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Counts returns how many URIs are active and how many events were applied.
func (s *Store) Counts(ctx context.Context) (active, events int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM uris WHERE state = 'active'), (SELECT COUNT(*) FROM events)`).
		Scan(&active, &events)
	return active, events, err
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }
