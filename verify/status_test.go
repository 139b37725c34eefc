package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// statusCatalog answers Current with one document or one error.
type statusCatalog struct {
	repository.Catalog
	doc repository.Document
	err error
}

func (c statusCatalog) Current(context.Context, string) (repository.Document, error) {
	return c.doc, c.err
}

// TestCheckStatus: a document's own status and the catalog's say whether
// a valid signature passes; a catalog that fails (other than "not found")
// fails the verification, since the document may have been revoked.
func TestCheckStatus(t *testing.T) {
	const uri = "in.gov.cbse-SSCER-75000032025"
	for _, c := range []struct {
		name string
		st   xmlschema.Status
		cat  repository.Catalog
		want string // "" passes
	}{
		{"active, no home", xmlschema.StatusActive, nil, ""},
		{"revoked document", xmlschema.StatusRevoked, nil, "status is R (revoked)"},
		{"not this home's", xmlschema.StatusActive, statusCatalog{err: fmt.Errorf("look up: %w", repository.ErrNotFound)}, ""},
		{"active in the catalog", xmlschema.StatusActive, statusCatalog{doc: repository.Document{Status: xmlschema.StatusActive}}, ""},
		{"revoked since", xmlschema.StatusActive, statusCatalog{doc: repository.Document{Status: xmlschema.StatusRevoked, Version: 2}}, "the issuer has revoked " + uri + " (version 2)"},
		{"suspended since", xmlschema.StatusActive, statusCatalog{doc: repository.Document{Status: xmlschema.StatusSuspended, Version: 3}}, "suspended"},
		{"catalog down", xmlschema.StatusActive, statusCatalog{err: errors.New("pq: connection refused")}, "catalog cannot say whether " + uri + " was revoked: pq: connection refused"},
		{"catalog cancelled", xmlschema.StatusActive, statusCatalog{err: context.DeadlineExceeded}, "context deadline exceeded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckStatus(context.Background(), c.st, uri, c.cat)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("CheckStatus: %v, want %q", err, c.want)
			}
		})
	}
}
