//go:build integration

package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
)

// TestReplaySharedThroughPostgres: two servers behind one balancer, on one
// PostgreSQL catalog. A request accepted by the first, replayed to the
// second within the window, is refused there too (each process's own cache
// alone let it through).
func TestReplaySharedThroughPostgres(t *testing.T) {
	f := sample(t)
	ctx := context.Background()
	pg, err := repository.OpenPostgres(ctx, testenv.StartPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if err := pg.PrepareReplayLog(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pg.PrepareReplayLog(ctx); err != nil {
		t.Fatalf("second prepare: %v", err)
	}
	now := time.Date(2025, 6, 1, 10, 0, 30, 0, time.FixedZone("IST", 19800))
	mod := func(c *api.Config) {
		c.ReplayWindow, c.ReplayLog = 5*time.Minute, pg
		c.Now = func() time.Time { return now }
	}
	a, b := f.server(t, mod), f.server(t, mod)
	body := pullURI(f, "", f.goodFields())
	if code, reply := f.signed(t, a.URL+"/digilocker/pulluri", body); code != 200 {
		t.Fatalf("first, at A: HTTP %d %s", code, reply)
	}
	if code, _ := f.signed(t, b.URL+"/digilocker/pulluri", body); code != 401 {
		t.Fatalf("replayed at B: HTTP %d, want 401", code)
	}
	// A forgotten key is fresh again (a request answered 5xx), at every server.
	key := []byte("0123456789abcdef")
	if fresh, err := pg.RecordTxn(ctx, key, now, now.Add(5*time.Minute)); err != nil || !fresh {
		t.Fatalf("record: %v %v", fresh, err)
	}
	if err := pg.ForgetTxn(ctx, key); err != nil {
		t.Fatal(err)
	}
	if fresh, err := pg.RecordTxn(ctx, key, now, now.Add(5*time.Minute)); err != nil || !fresh {
		t.Fatalf("record after forget: %v %v, want fresh", fresh, err)
	}
	if err := pg.ForgetTxn(ctx, key); err != nil {
		t.Fatal(err)
	}
	// Pruning forgets expired keys only.
	if n, err := pg.PruneTxns(ctx, now.Add(time.Minute)); err != nil || n != 0 {
		t.Fatalf("prune before expiry: %d %v", n, err)
	}
	if n, err := pg.PruneTxns(ctx, now.Add(10*time.Minute)); err != nil || n != 1 {
		t.Fatalf("prune after expiry: %d %v", n, err)
	}
}
