//go:build integration

package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// TestVerifyReportsStatus: a valid signature over a revoked document, or
// over one the catalog knows was revoked since, fails with that reason.
func TestVerifyReportsStatus(t *testing.T) {
	dir := t.TempDir()
	hd := filepath.Join(dir, "home")
	h := "--home=" + hd
	mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE", "--key-type", "ecdsa-p256")
	mustCLI(t, h, "ingest", "--quiet", "--profile", profile, sample)
	doc := mustCLI(t, h, "get", "--doctype", "SSCER", "--roll", "7500003", "--year", "2025").stdout
	good := filepath.Join(dir, "good.xml")
	os.WriteFile(good, []byte(doc), 0o644)
	if r := mustCLI(t, h, "verify", good); !strings.HasPrefix(r.stdout, "OK ") {
		t.Fatalf("verify: %s", r.stdout)
	}

	// A document signed with status R.
	hm, err := home.Open(hd)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := hm.Signer()
	if err != nil {
		t.Fatal(err)
	}
	c := &xmlschema.Certificate{Name: "Class X Marksheet", Type: "SSCER", Number: "1", IssuedAt: "Delhi", IssueDate: "01-06-2025",
		ValidFromDate: "01-06-2025", Status: xmlschema.StatusRevoked, IssuedBy: xmlschema.Organization{Name: "CBSE", Code: "in.gov.cbse", Type: "CG"}}
	d, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	if err := sg.Sign(d); err != nil {
		t.Fatal(err)
	}
	b, _ := xmlschema.Bytes(d)
	revoked := filepath.Join(dir, "revoked.xml")
	os.WriteFile(revoked, b, 0o644)
	r := runCLI(t, h, "verify", revoked)
	if r.code != exitError || !strings.Contains(r.stdout, "status is R (revoked)") {
		t.Fatalf("a revoked document: exit %d %s", r.code, r.stdout)
	}

	// The issuer revoked the good document after handing it out.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(hd, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(context.Background(), `UPDATE documents SET status = 'R' WHERE uri = 'in.gov.cbse-SSCER-75000032025'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r = runCLI(t, h, "verify", good)
	if r.code != exitError || !strings.Contains(r.stdout, "the issuer has revoked in.gov.cbse-SSCER-75000032025") {
		t.Fatalf("a document revoked since: exit %d %s", r.code, r.stdout)
	}

	// A catalog that fails when asked (here every read of documents
	// overflows) cannot vouch for the revoked document: verify fails too.
	db, err = sql.Open("sqlite", "file:"+filepath.Join(hd, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(context.Background(), `ALTER TABLE documents RENAME TO documents_kept;
		CREATE VIEW documents AS SELECT * FROM documents_kept WHERE abs(-9223372036854775807 - 1) > 0`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r = runCLI(t, h, "verify", good)
	if r.code != exitError || strings.Contains(r.stdout, "OK ") {
		t.Fatalf("a revoked document with a failing catalog: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	t.Logf("a failing catalog: %s%s", r.stdout, r.stderr)
}

// TestGetFormats: get prints the document as XML, JSON or PDF.
func TestGetFormats(t *testing.T) {
	dir := t.TempDir()
	h := "--home=" + filepath.Join(dir, "home")
	mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE", "--key-type", "ecdsa-p256")
	mustCLI(t, h, "ingest", "--quiet", "--profile", profile, sample)
	args := []string{h, "get", "--doctype", "SSCER", "--roll", "7500003", "--year", "2025", "--format"}
	var v struct {
		Certificate struct {
			Number string `json:"number"`
		}
	}
	if err := json.Unmarshal([]byte(mustCLI(t, append(args, "json")...).stdout), &v); err != nil || v.Certificate.Number != "75000032025" {
		t.Fatalf("--format json: %+v %v", v, err)
	}
	if out := mustCLI(t, append(args, "pdf")...).stdout; !strings.HasPrefix(out, "%PDF-") || !strings.Contains(out, "%%EOF") {
		t.Fatalf("--format pdf: %.40q", out)
	}
	if r := runCLI(t, append(args, "docx")...); r.code != exitUsage {
		t.Fatalf("--format docx: exit %d", r.code)
	}
}
