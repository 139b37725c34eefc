package repository

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkUseConsentsAudited: one group commit of the certificate API, 64
// uses of artifacts drawn from 4,000 with a granted use's audit entry each,
// on a catalog that already holds 32,000 of them.
func BenchmarkUseConsentsAudited(b *testing.B) {
	ctx := context.Background()
	c, err := OpenSQLite(ctx, filepath.Join(b.TempDir(), "catalog.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	r := rand.New(rand.NewPCG(1, 2))
	const batch = 64
	uses := make([]ConsentUse, batch)
	entries := make([]AuditEntry, batch)
	fill := func() {
		now := time.Now()
		for i := range uses {
			id := fmt.Sprintf("consent-%08x", r.IntN(4000)*2654435761)
			uses[i] = ConsentUse{ConsentID: id, Since: now.Add(-24 * time.Hour), At: now, Limit: 1 << 30}
			entries[i] = AuditEntry{Actor: "apisetu:bank", Action: AuditAPISetu, URI: fmt.Sprintf("in.gov.bench-SSCER-%07d2025", r.IntN(20_000)),
				Version: 1, ConsentID: id, Purpose: "loan"}
		}
	}
	for range 500 { // a catalog with history: 32,000 uses
		fill()
		if _, err := c.UseConsentsAudited(ctx, uses, entries); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		fill()
		if _, err := c.UseConsentsAudited(ctx, uses, entries); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "uses/s")
}
