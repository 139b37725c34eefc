//go:build integration

package repository_test

import (
	"context"
	"errors"
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/catalogtest"
	"github.com/jackc/pgx/v5"
)

// TestPostgresConformance runs the Catalog suite on a real PostgreSQL,
// started by the harness as an unprivileged cluster on 127.0.0.1.
func TestPostgresConformance(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) repository.Catalog {
		c, err := repository.OpenPostgres(context.Background(), testenv.StartPostgres(t))
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

// TestPostgresUseConsentTwoPools: two catalog handles (two pools, as two
// serve have) racing on one artifact let exactly limit uses through.
func TestPostgresUseConsentTwoPools(t *testing.T) {
	dsn := testenv.StartPostgres(t)
	var cats []repository.Catalog
	for range 2 {
		c, err := repository.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cats = append(cats, c)
	}
	for range 3 {
		catalogtest.RaceUseConsent(t, cats, 40, 7)
	}
}

// TestPostgresReopenAndTamper: migrations run once; altering, removing
// or truncating audit entries is detected.
func TestPostgresReopenAndTamper(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.StartPostgres(t)
	for range 2 {
		c, err := repository.OpenPostgres(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for name, tamper := range map[string]string{
		"altered":   `UPDATE audit SET reason = 'nothing to see' WHERE id = (SELECT MIN(id) + 1 FROM audit)`,
		"deleted":   `DELETE FROM audit WHERE id = (SELECT MIN(id) + 1 FROM audit)`,
		"truncated": `DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := conn.Exec(ctx, `TRUNCATE audit; UPDATE audit_head SET hash = ''`); err != nil {
				t.Fatal(err)
			}
			c, err := repository.OpenPostgres(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var es []repository.AuditEntry
			for _, r := range []string{"a", "b", "c", "d"} {
				es = append(es, repository.AuditEntry{Actor: "t", Action: repository.AuditRevoke, URI: "in.gov.t-X-1", Reason: r})
			}
			if err := c.AppendAudit(ctx, es); err != nil {
				t.Fatal(err)
			}
			if n, _, err := c.VerifyAuditChain(ctx); err != nil || n != 4 {
				t.Fatalf("before: %d %v", n, err)
			}
			if _, err := conn.Exec(ctx, tamper); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.VerifyAuditChain(ctx); !errors.Is(err, repository.ErrAuditTampered) {
				t.Fatalf("after %s: %v", name, err)
			}
		})
	}
}

// TestPrepareReplayLogConcurrently: several serve starting together on one
// PostgreSQL all prepare the replay log; CREATE TABLE IF NOT EXISTS alone
// fails one of them with a unique violation in pg_type now and then.
func TestPrepareReplayLogConcurrently(t *testing.T) {
	dsn := testenv.StartPostgres(t)
	for round := range 5 {
		var cats []*repository.Postgres
		for range 4 {
			c, err := repository.OpenPostgres(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			cats = append(cats, c)
		}
		if round > 0 {
			conn, err := pgx.Connect(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			_, err = conn.Exec(context.Background(), "DROP TABLE replay_txns")
			conn.Close(context.Background())
			if err != nil {
				t.Fatal(err)
			}
		}
		errs := make(chan error, len(cats))
		for _, c := range cats {
			go func() { errs <- c.PrepareReplayLog(context.Background()) }()
		}
		for range cats {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
