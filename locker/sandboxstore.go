package locker

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
)

// sandboxSchema is the second migration: what the locker needs to play
// DigiLocker towards citizens and requesters — the issuers' directory
// entries, the SMS outbox of OTPs, citizens and their sessions, the
// documents they pulled by search, their activity, requesters and their
// consent sessions.
const sandboxSchema = `
	ALTER TABLE issuers ADD COLUMN name TEXT NOT NULL DEFAULT '';
	ALTER TABLE issuers ADD COLUMN doctypes TEXT NOT NULL DEFAULT '[]';
	ALTER TABLE issuers ADD COLUMN apisetu_url TEXT NOT NULL DEFAULT '';
	ALTER TABLE issuers ADD COLUMN apisetu_client TEXT NOT NULL DEFAULT '';
	ALTER TABLE issuers ADD COLUMN apisetu_key TEXT NOT NULL DEFAULT '';
	CREATE TABLE otps (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		mobile     TEXT NOT NULL,
		code       TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		tries      INTEGER NOT NULL DEFAULT 0,
		used       INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX otps_mobile ON otps(mobile, id);
	CREATE TABLE citizens (
		id           TEXT PRIMARY KEY,
		mobile       TEXT NOT NULL UNIQUE,
		pin_hash     TEXT NOT NULL,
		aadhaar_ct   BLOB,
		citizen_hash TEXT NOT NULL DEFAULT '',
		kyc_name     TEXT NOT NULL DEFAULT '',
		kyc_dob      TEXT NOT NULL DEFAULT '',
		created_at   INTEGER NOT NULL
	);
	CREATE INDEX citizens_hash ON citizens(citizen_hash);
	CREATE TABLE sessions (
		token_hash TEXT PRIMARY KEY,
		citizen_id TEXT NOT NULL,
		last_seen  INTEGER NOT NULL
	);
	CREATE TABLE pulled (
		citizen_id TEXT NOT NULL,
		uri        TEXT NOT NULL,
		issuer     TEXT NOT NULL,
		doctype    TEXT NOT NULL,
		doc_name   TEXT NOT NULL,
		issued_on  TEXT NOT NULL,
		params     TEXT NOT NULL,
		pulled_at  INTEGER NOT NULL,
		PRIMARY KEY (citizen_id, uri)
	);
	CREATE TABLE activity (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		citizen_id TEXT NOT NULL,
		at         INTEGER NOT NULL,
		action     TEXT NOT NULL,
		detail     TEXT NOT NULL
	);
	CREATE INDEX activity_citizen ON activity(citizen_id, id);
	CREATE TABLE requesters (
		id           TEXT PRIMARY KEY,
		name         TEXT NOT NULL,
		key_hash     TEXT NOT NULL,
		redirect_url TEXT NOT NULL,
		added_at     INTEGER NOT NULL
	);
	CREATE TABLE consent_sessions (
		id           TEXT PRIMARY KEY,
		requester    TEXT NOT NULL,
		doc_types    TEXT NOT NULL,
		purpose      TEXT NOT NULL,
		redirect_url TEXT NOT NULL,
		status       TEXT NOT NULL,
		citizen_id   TEXT NOT NULL DEFAULT '',
		created_at   INTEGER NOT NULL,
		expires_at   INTEGER NOT NULL
	);`

// sealKeyring derives the keys the linked Aadhaar numbers are sealed with
// from the locker's key (never the citizen-hash key itself); Open does it
// once.
func sealKeyring(key []byte) (*aadhaar.Keyring, error) {
	master, err := hkdf.Key(sha256.New, key, nil, "issuerkit locker aadhaar seal v1", aadhaar.KeySize)
	if err != nil {
		return nil, err
	}
	return aadhaar.NewKeyring(master)
}

// DocType is a document kind an issuer offers to pull by search, with the
// parameters a citizen enters (the issuer's Pull URI search keys).
type DocType struct {
	DocType    string   `json:"doctype"`
	Name       string   `json:"name"`
	Parameters []string `json:"parameters"`
}

// Directory is an issuer as the issuers directory shows it.
type Directory struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	DocTypes []DocType `json:"doctypes"`
}

// APISetu is how the locker reaches an issuer's API Setu certificate API.
type APISetu struct {
	URL, ClientID, APIKey string
}

// SetIssuerDirectory sets a registered issuer's display name, the DocTypes
// it offers for pull by search and, when set, its API Setu certificate API.
func (s *Store) SetIssuerDirectory(ctx context.Context, id, name string, dts []DocType, setu APISetu) error {
	if dts == nil {
		dts = []DocType{}
	}
	b, err := json.Marshal(dts)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE issuers SET name = ?, doctypes = ?, apisetu_url = ?, apisetu_client = ?, apisetu_key = ? WHERE id = ?`,
		name, string(b), setu.URL, setu.ClientID, setu.APIKey, id)
	if err != nil {
		return fmt.Errorf("issuer %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("issuer %q: %w", id, ErrNotFound)
	}
	return nil
}

// Directory lists the registered issuers with their DocTypes, by id.
func (s *Store) Directory(ctx context.Context) ([]Directory, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, doctypes FROM issuers ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Directory{}
	for rows.Next() {
		var d Directory
		var dts string
		if err := rows.Scan(&d.ID, &d.Name, &dts); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(dts), &d.DocTypes); err != nil {
			return nil, fmt.Errorf("issuer %s: doctypes: %w", d.ID, err)
		}
		if d.Name == "" {
			d.Name = d.ID
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// issuerDocType returns the DocType declaration of one issuer and its
// API Setu settings.
func (s *Store) issuerDocType(ctx context.Context, issuer, doctype string) (Directory, DocType, APISetu, error) {
	var d Directory
	var dts string
	var setu APISetu
	err := s.db.QueryRowContext(ctx, `SELECT id, name, doctypes, apisetu_url, apisetu_client, apisetu_key FROM issuers WHERE id = ?`, issuer).
		Scan(&d.ID, &d.Name, &dts, &setu.URL, &setu.ClientID, &setu.APIKey)
	if errors.Is(err, sql.ErrNoRows) {
		return d, DocType{}, setu, ErrNotFound
	}
	if err != nil {
		return d, DocType{}, setu, err
	}
	if err := json.Unmarshal([]byte(dts), &d.DocTypes); err != nil {
		return d, DocType{}, setu, err
	}
	for _, dt := range d.DocTypes {
		if dt.DocType == doctype {
			return d, dt, setu, nil
		}
	}
	return d, DocType{}, setu, ErrNotFound
}

// unix is t in Unix milliseconds, the sandbox tables' time.
func unix(t time.Time) int64 { return t.UnixMilli() }

func fromUnix(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// ParseDocType reads an issuer add --doctype value:
// "SSCER=Class X Marksheet:RollNo,Year".
func ParseDocType(s string) (DocType, error) {
	code, rest, ok := strings.Cut(s, "=")
	name, params, ok2 := strings.Cut(rest, ":")
	dt := DocType{DocType: strings.TrimSpace(code), Name: strings.TrimSpace(name)}
	for _, p := range strings.Split(params, ",") {
		if p = strings.TrimSpace(p); p != "" {
			dt.Parameters = append(dt.Parameters, p)
		}
	}
	if !ok || !ok2 || !docTypeRE.MatchString(dt.DocType) || dt.Name == "" || len(dt.Parameters) == 0 {
		return DocType{}, fmt.Errorf("--doctype %q: want DOCTYPE=Name:Param1,Param2 such as 'SSCER=Class X Marksheet:RollNo,Year'", s)
	}
	for _, p := range dt.Parameters {
		if !paramRE.MatchString(p) {
			return DocType{}, fmt.Errorf("--doctype %q: parameter %q is not an XML element name", s, p)
		}
	}
	return dt, nil
}

var paramRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
