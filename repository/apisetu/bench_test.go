package apisetu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/repository/apisetu"
)

// BenchmarkCertificate: granted XML requests with consent verification on
// the home's own SQLite catalog (requesters, the group-committed uses),
// from 64 clients.
func BenchmarkCertificate(b *testing.B) {
	f := sample(b)
	ctx := context.Background()
	cat, err := f.h.OpenCatalog(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer cat.Close()
	if err := cat.AddRequester(ctx, repository.Requester{ID: "benchbank", KeyHash: apisetu.KeyHash(bankKey), AddedAt: time.Now()}); err != nil && !errors.Is(err, repository.ErrExists) {
		b.Fatal(err)
	}
	if err := cat.TrustConsentManager(ctx, repository.ConsentManager{ID: "cm-ec", CertPEM: f.ecPEM, AddedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	e := f.startB(b, cat)
	// A consent per request (as many as the run makes), as requesters
	// would send them.
	meera := f.rows[meeraIdx]
	bodies := make([][]byte, 2000)
	for i := range bodies {
		c := consentFor(meera)
		c.DataConsumer.ID = "benchbank"
		a, _ := consent.Sign(f.ecKey, c)
		bodies[i], _ = json.Marshal(body(meera, "xml", &a))
	}
	var next atomic.Int64
	b.SetParallelism(64 / max(1, runtime.GOMAXPROCS(0))) // 64 clients, as make bench runs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			raw := bodies[int(next.Add(1))%len(bodies)]
			req, _ := http.NewRequest("POST", e.ts.URL+"/apisetu/SSCER/certificate", bytes.NewReader(raw))
			req.Header.Set(apisetu.ClientIDHeader, "benchbank")
			req.Header.Set(apisetu.APIKeyHeader, bankKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("HTTP %d %s", resp.StatusCode, msg)
				return
			}
		}
	})
}

func (f *fixture) startB(b *testing.B, c apisetu.Clients) *env {
	e := &env{f: f}
	dc := f.docs
	docs, err := api.New(dc)
	if err != nil {
		b.Fatal(err)
	}
	s, err := apisetu.New(apisetu.Config{IssuerID: issuer, Clients: c, Keyring: dc.Keyring, Docs: docs})
	if err != nil {
		b.Fatal(err)
	}
	s.Mount()
	e.docs = docs
	e.ts = httptest.NewServer(docs.Handler())
	b.Cleanup(func() { e.ts.Close(); docs.Close() })
	return e
}
