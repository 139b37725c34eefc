package api_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// BenchmarkPullURI measures the API's own cost of a Pull URI request that
// finds its document, without the network: parse, authenticate, look up,
// match and reply, for the 24 sample students in turn (all in the caches
// after the first round, as on a busy server). `make bench` measures the
// same over HTTP under load.
func BenchmarkPullURI(b *testing.B) {
	f := sample(b)
	cfg := f.cfg
	cfg.Logger = slog.New(slog.DiscardHandler)
	s, err := api.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	type prepared struct{ body, sig string }
	var reqs []prepared
	for i := range 24 {
		cells, _ := samples.Options{Seed: 2025}.Row(i)
		row := map[string]string{}
		for j, name := range samples.Header {
			row[name] = cells[j]
		}
		g := &fixture{row: row}
		body := pullURI(g, "", g.goodFields())
		reqs = append(reqs, prepared{body, xmlschema.SignBody(f.key, []byte(body))})
	}
	var rec discardRecorder
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := reqs[i%len(reqs)]
		r := httptest.NewRequest("POST", "/digilocker/pulluri", bytes.NewReader([]byte(p.body)))
		r.Header.Set(xmlschema.HMACHeader, p.sig)
		rec.reset()
		h.ServeHTTP(&rec, r)
		if rec.code != http.StatusOK {
			b.Fatalf("HTTP %d for %s", rec.code, p.body)
		}
	}
}

// discardRecorder is a ResponseWriter that keeps the status and drops the
// body: httptest.ResponseRecorder's own copying would be measured otherwise.
type discardRecorder struct {
	h    http.Header
	code int
}

func (d *discardRecorder) reset() {
	if d.h == nil {
		d.h = http.Header{}
	}
	clear(d.h)
	d.code = 0
}
func (d *discardRecorder) Header() http.Header { return d.h }
func (d *discardRecorder) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}
func (d *discardRecorder) Write(p []byte) (int, error) {
	d.WriteHeader(http.StatusOK)
	return io.Discard.Write(p)
}
