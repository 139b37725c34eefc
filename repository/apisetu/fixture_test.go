package apisetu_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	issuerhome "github.com/issuerkit/issuerkit/internal/issuer"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/repository/apisetu"
	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// memClients is an in-memory apisetu.Clients.
type memClients struct {
	mu       sync.Mutex
	byID     map[string]apisetu.Requester
	managers map[string]apisetu.ConsentManager
	uses     map[string][]time.Time
}

func newMemClients() *memClients {
	return &memClients{byID: map[string]apisetu.Requester{}, managers: map[string]apisetu.ConsentManager{}, uses: map[string][]time.Time{}}
}

func (m *memClients) AddRequester(_ context.Context, r apisetu.Requester) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[r.ID]; ok {
		return apisetu.ErrExists
	}
	m.byID[r.ID] = r
	return nil
}

func (m *memClients) Requester(_ context.Context, id string) (apisetu.Requester, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byID[id]
	if !ok {
		return r, repository.ErrNotFound
	}
	return r, nil
}

func (m *memClients) ListRequesters(context.Context) ([]apisetu.Requester, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []apisetu.Requester
	for _, r := range m.byID {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memClients) RevokeRequester(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byID[id]
	if !ok {
		return repository.ErrNotFound
	}
	r.RevokedAt = at
	m.byID[id] = r
	return nil
}

func (m *memClients) TrustConsentManager(_ context.Context, c apisetu.ConsentManager) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.managers[c.ID] = c
	return nil
}

func (m *memClients) ConsentManagers(context.Context) ([]apisetu.ConsentManager, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []apisetu.ConsentManager
	for _, c := range m.managers {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memClients) UseConsent(_ context.Context, id string, since, at time.Time, limit int) (bool, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, t := range m.uses[id] {
		if !t.Before(since) {
			n++
		}
	}
	if n >= limit {
		return false, n, nil
	}
	m.uses[id] = append(m.uses[id], at)
	return true, n + 1, nil
}

// UseConsents makes memClients a repository.ConsentBatcher, so the tests
// go through the server's group commit.
func (m *memClients) UseConsents(ctx context.Context, uses []repository.ConsentUse) ([]repository.ConsentUsed, error) {
	out := make([]repository.ConsentUsed, len(uses))
	for i, u := range uses {
		ok, n, _ := m.UseConsent(ctx, u.ConsentID, u.Since, u.At, u.Limit)
		out[i] = repository.ConsentUsed{OK: ok, Uses: n}
	}
	return out, nil
}

// fixture is a home with the CBSE sample ingested, one revoked, one
// suspended and one held document, two consent managers' keys (RSA and
// ECDSA) and the clients "bank" (consent needed) and "registry" (none).
type fixture struct {
	h       *home.Home
	docs    api.Config
	rows    []map[string]string // the sample rows, by header
	revoked map[string]string
	susp    map[string]string
	held    map[string]string
	rsaKey  *rsa.PrivateKey
	ecKey   *ecdsa.PrivateKey
	rsaPEM  string
	ecPEM   string
}

const (
	issuer   = "in.gov.cbse"
	bankKey  = "bank-secret-key-0123456789"
	regKey   = "registry-secret-key-0123456789"
	onlyHSC  = "hsc-only-key-0123456789"
	meeraIdx = 0
)

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func sample(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = buildFixture(t) })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func rowOf(cells []string) map[string]string {
	m := map[string]string{}
	for i, h := range samples.Header {
		m[h] = cells[i]
	}
	return m
}

// fixDirs are the fixtures' directories, removed by TestMain.
var fixDirs []string

func buildFixture(t testing.TB) (*fixture, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "issuerkit-apisetu-")
	if err != nil {
		return nil, err
	}
	fixDirs = append(fixDirs, dir)
	h, err := home.Init(ctx, filepath.Join(dir, "home"), home.InitOptions{IssuerID: issuer, IssuerName: "Central Board of Secondary Education"})
	if err != nil {
		return nil, err
	}
	r, err := issuerhome.OpenRepo(ctx, h.Dir, true)
	if err != nil {
		return nil, err
	}
	deps, err := r.IngestDeps()
	if err != nil {
		return nil, err
	}
	cat, store, sgn, kr := r.Catalog, r.Store, deps.Signer, deps.Keyring
	prof, err := ingest.LoadProfile("../../samples/profiles/cbse-sscer.yaml")
	if err != nil {
		return nil, err
	}
	ing := ingest.Issuer{ID: issuer, Name: "CBSE", Type: "CG"}
	if _, err := ingest.Run(ctx, deps, ingest.Options{Profile: prof, Issuer: ing, Inputs: []string{"../../samples/cbse-sscer-2025.csv"}}); err != nil {
		return nil, err
	}
	f := &fixture{h: h}
	for i := range 8 {
		cells, _ := samples.Options{Seed: 2025}.Row(i)
		f.rows = append(f.rows, rowOf(cells))
	}
	// One student held until results day.
	cells, _ := samples.Options{Seed: 2026}.Row(0)
	cells[0] = "8800001"
	f.held = rowOf(cells)
	heldCSV := filepath.Join(dir, "held.csv")
	line := make([]string, len(cells))
	for i, c := range cells {
		if strings.ContainsAny(c, ",\"") {
			c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		}
		line[i] = c
	}
	if err := os.WriteFile(heldCSV, []byte(strings.Join(samples.Header, ",")+"\n"+strings.Join(line, ",")+"\n"), 0o600); err != nil {
		return nil, err
	}
	if _, err := ingest.Run(ctx, deps, ingest.Options{Profile: prof, Issuer: ing, Inputs: []string{heldCSV},
		ReleaseAt: time.Now().Add(24 * time.Hour)}); err != nil {
		return nil, err
	}
	f.revoked, f.susp = f.rows[5], f.rows[6]
	for _, c := range []struct {
		row    map[string]string
		action string
	}{{f.revoked, repository.AuditRevoke}, {f.susp, repository.AuditSuspend}} {
		if _, err := ingest.ChangeStatus(ctx, ingest.Deps{Store: store, Catalog: cat, Signer: sgn},
			ingest.StatusChange{URI: uriOf(c.row), Action: c.action, Reason: "test", Actor: "test"}); err != nil {
			return nil, err
		}
	}
	f.docs = api.Config{IssuerID: issuer, IssuerName: "CBSE", APIKey: []byte("locker-key"), Catalog: repository.CacheReads(cat),
		Store: store, Keyring: kr, CacheBytes: 8 << 20, Profiles: []xmlschema.PullProfile{prof.PullProfile()}}
	if f.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	if f.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	f.rsaPEM = certPEM(t, f.rsaKey, "consent manager RSA")
	f.ecPEM = certPEM(t, f.ecKey, "consent manager EC")
	return f, nil
}

func certPEM(t testing.TB, key crypto.Signer, cn string) string {
	c := testenv.IssueCert(t, key, cn, false, nil, nil, time.Now().Add(24*time.Hour), x509.KeyUsageDigitalSignature)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

func uriOf(row map[string]string) string { return issuer + "-SSCER-" + row["RollNo"] + row["Year"] }

// env is one running certificate API on the fixture's home.
type env struct {
	f       *fixture
	clients *memClients
	docs    *api.Server
	ts      *httptest.Server
	logs    *bytes.Buffer
}

type envOption func(*api.Config, *apisetu.Config)

func (f *fixture) start(t *testing.T, clients *memClients, opts ...envOption) *env {
	t.Helper()
	if clients == nil {
		clients = f.newClients(t)
	}
	e := &env{f: f, clients: clients, logs: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dc := f.docs
	dc.Logger = logger
	sc := apisetu.Config{IssuerID: issuer, Clients: clients, Keyring: dc.Keyring, Logger: logger}
	for _, o := range opts {
		o(&dc, &sc)
	}
	docs, err := api.New(dc)
	if err != nil {
		t.Fatal(err)
	}
	sc.Docs = docs
	s, err := apisetu.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	s.Mount()
	e.docs = docs
	e.ts = httptest.NewServer(docs.Handler())
	t.Cleanup(func() { e.ts.Close(); docs.Close() })
	return e
}

// newClients registers bank, registry (no consent), hsconly (HSCER only)
// and trusts both consent managers.
func (f *fixture) newClients(t *testing.T) *memClients {
	t.Helper()
	c := newMemClients()
	ctx := context.Background()
	for _, r := range []apisetu.Requester{
		{ID: "bank", KeyHash: apisetu.KeyHash(bankKey)},
		{ID: "registry", KeyHash: apisetu.KeyHash(regKey), NoConsent: true},
		{ID: "hsconly", KeyHash: apisetu.KeyHash(onlyHSC), DocTypes: []string{"HSCER"}},
	} {
		if err := c.AddRequester(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for id, p := range map[string]string{"cm-rsa": f.rsaPEM, "cm-ec": f.ecPEM} {
		if err := c.TrustConsentManager(ctx, apisetu.ConsentManager{ID: id, CertPEM: p}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// consentFor is a valid consent of the bank for row's document.
func consentFor(row map[string]string) consent.Consent {
	now := time.Now()
	return consent.Consent{
		ConsentID:    consent.NewID(),
		Timestamp:    consent.FormatTime(now.Add(-time.Minute)),
		DataConsumer: consent.Party{ID: "bank"},
		DataProvider: consent.Party{ID: issuer},
		Purpose:      consent.Purpose{Description: "education loan"},
		User:         consent.User{IDType: consent.IDAadhaar, IDNumber: row["Aadhaar"]},
		Data:         consent.Party{ID: uriOf(row)},
		Permission: consent.Permission{Access: "VIEW",
			DateRange: consent.DateRange{From: consent.FormatTime(now.Add(-time.Hour)), To: consent.FormatTime(now.Add(time.Hour))},
			Frequency: consent.Frequency{Unit: "DAY", Value: 1, Repeats: 3}},
	}
}

func (f *fixture) sign(t *testing.T, c consent.Consent) *consent.Artifact {
	t.Helper()
	a, err := consent.Sign(f.rsaKey, c)
	if err != nil {
		t.Fatal(err)
	}
	return &a
}

// body is a certificate request for row.
func body(row map[string]string, format string, a *consent.Artifact) map[string]any {
	b := map[string]any{"txnId": consent.NewID(), "format": format,
		"certificateParameters": map[string]any{"rollno": row["RollNo"], "year": row["Year"], "FullName": row["Name"], "DOB": dmy(row["DOB"])}}
	if a != nil {
		b["consentArtifact"] = a
	}
	return b
}

// dmy writes a sample DOB (YYYY-MM-DD or as given) as DD-MM-YYYY.
func dmy(s string) string {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("02-01-2006")
	}
	return s
}

type reply struct {
	code  int
	ctype string
	body  []byte
}

func (r reply) errorPair() (string, string) {
	var e struct{ Error, ErrorDescription string }
	json.Unmarshal(r.body, &e)
	return e.Error, e.ErrorDescription
}

func (e *env) post(t *testing.T, doctype, client, key string, b any) reply {
	t.Helper()
	var raw []byte
	switch v := b.(type) {
	case string:
		raw = []byte(v)
	case []byte:
		raw = v
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, _ := http.NewRequest("POST", e.ts.URL+"/apisetu/"+doctype+"/certificate", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if client != "" {
		req.Header.Set(apisetu.ClientIDHeader, client)
	}
	if key != "" {
		req.Header.Set(apisetu.APIKeyHeader, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: out}
}

// audit returns the audit entries of the certificate API, after the
// server's queue was flushed (by closing it).
func (e *env) audit(t *testing.T) []repository.AuditEntry {
	t.Helper()
	e.ts.Close()
	e.docs.Close()
	var out []repository.AuditEntry
	err := e.f.docs.Catalog.AuditLog(context.Background(), repository.AuditQuery{}, func(a repository.AuditEntry) error {
		if a.Action == apisetu.AuditAPISetu {
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// auditOf returns the audit entries of one consent (AuditQuery.ConsentID),
// after the server's queue was flushed.
func (e *env) auditOf(t *testing.T, consentID string) []repository.AuditEntry {
	t.Helper()
	e.ts.Close()
	e.docs.Close()
	var out []repository.AuditEntry
	err := e.f.docs.Catalog.AuditLog(context.Background(), repository.AuditQuery{ConsentID: consentID}, func(a repository.AuditEntry) error {
		out = append(out, a)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
