package locker

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
)

// Citizen is a signed-up locker holder. The Aadhaar number is never in it:
// only whether one is linked, its last four digits and the KYC details.
type Citizen struct {
	ID     string `json:"digilocker_id"`
	Mobile string `json:"mobile"`
	Linked bool   `json:"aadhaar_linked"`
	Last4  string `json:"aadhaar_last4,omitempty"`
	Name   string `json:"name,omitempty"`
	DOB    string `json:"dob,omitempty"`
	hash   string // the citizen hash pushes are filed under
	sealed []byte
}

var dobRE = regexp.MustCompile(`^(0[1-9]|[12][0-9]|3[01])-(0[1-9]|1[0-2])-(19|20)[0-9]{2}$`)

// Citizen returns a citizen by DigiLocker id.
func (s *Store) Citizen(ctx context.Context, id string) (*Citizen, error) {
	c := &Citizen{ID: id}
	err := s.db.QueryRowContext(ctx, `SELECT mobile, aadhaar_ct, citizen_hash, kyc_name, kyc_dob FROM citizens WHERE id = ?`, id).
		Scan(&c.Mobile, &c.sealed, &c.hash, &c.Name, &c.DOB)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.Linked = len(c.sealed) > 0
	if c.Linked {
		num, err := s.aadhaarOf(c)
		if err != nil {
			return nil, err
		}
		c.Last4 = aadhaar.Last4(num)
	}
	return c, nil
}

// aadhaarOf opens the citizen's sealed Aadhaar number.
func (s *Store) aadhaarOf(c *Citizen) (string, error) {
	return s.seal.Decrypt(c.sealed, "citizen:"+c.ID)
}

// uidMD5 is the UID a Pull URI request carries: the MD5 hex of the number.
func uidMD5(num string) string {
	sum := md5.Sum([]byte(num))
	return hex.EncodeToString(sum[:])
}

// LinkAadhaar links an Aadhaar number with its KYC name and DOB
// (DD-MM-YYYY) to a citizen: the number is sealed and filed under its
// citizen hash, so pushes already received for it show in Issued Documents.
func (s *Store) LinkAadhaar(ctx context.Context, id, num, name, dob string, now time.Time) error {
	// As printed on the card: "4100 2505 3336".
	num = strings.Join(strings.FieldsFunc(num, func(r rune) bool { return r == ' ' || r == '-' }), "")
	if err := aadhaar.Validate(num); err != nil {
		if errors.Is(err, aadhaar.ErrVerhoeff) {
			// Its check digit: a typo, in words a citizen knows.
			return fmt.Errorf("aadhaar: this is not a valid Aadhaar number; check its 12 digits (%w)", err)
		}
		return fmt.Errorf("aadhaar: %w", err)
	}
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || len(name) > 200 {
		return errors.New("name: the name as on Aadhaar is required (at most 200 characters)")
	}
	if !dobRE.MatchString(dob) {
		return errors.New("dob: want DD-MM-YYYY")
	}
	sealed, err := s.seal.Encrypt(num, "citizen:"+id)
	if err != nil {
		return err
	}
	hash := s.CitizenHash(num)
	var other string
	err = s.db.QueryRowContext(ctx, `SELECT id FROM citizens WHERE citizen_hash = ? AND id <> ?`, hash, id).Scan(&other)
	if err == nil {
		return errors.New("aadhaar: this Aadhaar is linked to another locker")
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE citizens SET aadhaar_ct = ?, citizen_hash = ?, kyc_name = ?, kyc_dob = ? WHERE id = ?`,
		sealed, hash, name, dob, id); err != nil {
		return err
	}
	s.Record(ctx, id, now, "aadhaar_linked", "Aadhaar "+aadhaar.Mask(num)+" linked (KYC name and date of birth)")
	return nil
}

// Activity is one entry of a citizen's activity log.
type Activity struct {
	At     string `json:"at"`
	Action string `json:"action"`
	Detail string `json:"detail"`
}

// Record adds an entry to a citizen's activity log; the detail must hold no
// secret and no more of an Aadhaar number than its last four digits. A
// failure to record is not the caller's failure.
func (s *Store) Record(ctx context.Context, citizen string, at time.Time, action, detail string) {
	s.db.ExecContext(ctx, `INSERT INTO activity (citizen_id, at, action, detail) VALUES (?,?,?,?)`,
		citizen, unix(at), action, aadhaar.Redact(detail))
}

// ActivityOf returns a citizen's activity, newest first (at most 500).
func (s *Store) ActivityOf(ctx context.Context, citizen string) ([]Activity, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, action, detail FROM activity WHERE citizen_id = ? ORDER BY id DESC LIMIT 500`, citizen)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Activity{}
	for rows.Next() {
		var a Activity
		var at int64
		if err := rows.Scan(&at, &a.Action, &a.Detail); err != nil {
			return nil, err
		}
		a.At = fromUnix(at).Format(time.RFC3339)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Held is a document in a citizen's Issued Documents.
type Held struct {
	URI      string `json:"uri"`
	DocType  string `json:"doctype"`
	DocName  string `json:"doc_name"`
	Issuer   string `json:"issuer"`
	IssuedOn string `json:"issued_on"`
	Source   string `json:"source"` // push or pull
	params   map[string]string
	at       int64
}

// recordPull adds a document pulled by search to a citizen's Issued
// Documents, with the parameters it was found by.
func (s *Store) recordPull(ctx context.Context, citizen string, h Held, now time.Time) error {
	b, err := json.Marshal(h.params)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO pulled (citizen_id, uri, issuer, doctype, doc_name, issued_on, params, pulled_at) VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (citizen_id, uri) DO UPDATE SET doc_name = excluded.doc_name, issued_on = excluded.issued_on, params = excluded.params, pulled_at = excluded.pulled_at`,
		citizen, h.URI, h.Issuer, h.DocType, h.DocName, h.IssuedOn, string(b), unix(now))
	return err
}

// IssuedTo returns a citizen's Issued Documents: those pulled by search and
// those pushed for the linked Aadhaar, newest first, each URI once (a
// pulled copy wins: it knows its search parameters).
func (s *Store) IssuedTo(ctx context.Context, c *Citizen) ([]Held, error) {
	byURI := map[string]Held{}
	rows, err := s.db.QueryContext(ctx, `SELECT uri, issuer, doctype, doc_name, issued_on, params, pulled_at FROM pulled WHERE citizen_id = ?`, c.ID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		h := Held{Source: "pull"}
		var params string
		if err := rows.Scan(&h.URI, &h.Issuer, &h.DocType, &h.DocName, &h.IssuedOn, &params, &h.at); err != nil {
			rows.Close()
			return nil, err
		}
		json.Unmarshal([]byte(params), &h.params)
		byURI[h.URI] = h
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if c.hash != "" {
		docs, err := s.Issued(ctx, c.hash)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			if _, ok := byURI[d.URI]; !ok {
				byURI[d.URI] = Held{URI: d.URI, DocType: d.DocType, DocName: d.DocName, Issuer: d.Issuer, IssuedOn: d.IssuedOn,
					Source: "push", at: d.updated.UnixMilli()}
			}
		}
	}
	out := make([]Held, 0, len(byURI))
	for _, h := range byURI {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].at != out[j].at {
			return out[i].at > out[j].at
		}
		return out[i].URI < out[j].URI
	})
	return out, nil
}

// heldDoc returns one document of a citizen's Issued Documents.
func (s *Store) heldDoc(ctx context.Context, c *Citizen, uri string) (Held, error) {
	docs, err := s.IssuedTo(ctx, c)
	if err != nil {
		return Held{}, err
	}
	for _, h := range docs {
		if h.URI == uri {
			return h, nil
		}
	}
	return Held{}, ErrNotFound
}
