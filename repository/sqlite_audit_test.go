package repository

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditTamperingDetected: altering, deleting or reordering a past
// entry breaks the chain at that entry.
func TestAuditTamperingDetected(t *testing.T) {
	ctx := context.Background()
	for name, tamper := range map[string]string{
		"altered":  `UPDATE audit SET reason = 'nothing to see' WHERE id = 2`,
		"deleted":  `DELETE FROM audit WHERE id = 2`,
		"reworded": `UPDATE audit SET actor = 'someone else' WHERE id = 3`,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "c.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var es []AuditEntry
			for _, r := range []string{"a", "b", "c", "d"} {
				es = append(es, AuditEntry{Actor: "t", Action: AuditRevoke, URI: "in.gov.t-X-1", Reason: r})
			}
			if err := c.AppendAudit(ctx, es); err != nil {
				t.Fatal(err)
			}
			if n, _, err := c.VerifyAuditChain(ctx); err != nil || n != 4 {
				t.Fatalf("before: %d %v", n, err)
			}
			if _, err := c.db.Exec(tamper); err != nil {
				t.Fatal(err)
			}
			_, _, err = c.VerifyAuditChain(ctx)
			if !errors.Is(err, ErrAuditTampered) || !strings.Contains(err.Error(), "entry") {
				t.Fatalf("after %s: %v", name, err)
			}
		})
	}
}
