package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/repository/apisetu"
	"github.com/issuerkit/issuerkit/samples"
)

// apisetuPrepared is the number of distinct certificate requests (each
// with its own consent) the load cycles through.
const apisetuPrepared = 4000

// apisetu measures the certificate API with consent verification (a
// trusted consent manager's RSA-2048 signature, the rules, a catalog
// write counting the use and an audit entry per request) against
// `issuerkit serve` on a home of n documents, and a bare net/http handler
// returning the same bytes, in one run.
func (b *bench) apisetu(n, clients int, d time.Duration) error {
	home := filepath.Join(b.dir, "home-apisetu")
	gen := samples.Options{Rows: n, Seed: 96}
	if err := b.makeAPIHome(home, []string{"--home", home, "init", "--issuer-id", "in.gov.bench", "--issuer-name", "Bench Board", "--key-type", "ecdsa-p256"}, gen); err != nil {
		return err
	}
	cmKey, err := b.trustConsentManager(home)
	if err != nil {
		return err
	}
	keyFile := filepath.Join(b.dir, "bank.key")
	if _, err := runBin(b.bin, "--home", home, "requester", "add", "--id", "bench.bank", "--api-key-file", keyFile); err != nil {
		return err
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	bodies, err := apisetuBodies(gen, n, cmKey)
	if err != nil {
		return err
	}
	hdr := http.Header{"Content-Type": {"application/json"}, apisetu.ClientIDHeader: {"bench.bank"}, apisetu.APIKeyHeader: {string(bytes.TrimSpace(key))}}
	next := func(r *mrand.Rand) ([]byte, http.Header, bool) {
		return bodies[r.IntN(len(bodies))], hdr, true // only read
	}
	srv, err := startPinnedServe(b.bin, home, "--apisetu-rate-per-min", "0")
	if err != nil {
		return err
	}
	defer srv.stop()
	addr, pinNote := srv.addr, srv.pinNote
	url := "http://" + addr + "/apisetu/SSCER/certificate"
	sample, err := postOnce(url, bodies[0], hdr)
	if err != nil {
		return err
	}
	var i atomic.Int64
	runLoadWith(url, clients, time.Minute, func(*mrand.Rand) ([]byte, http.Header, bool) {
		k := int(i.Add(1)) - 1
		if k >= len(bodies) {
			return nil, nil, false
		}
		return bodies[k], hdr, true
	}, nil)
	runLoadWith(url, clients, min(d/6, 10*time.Second), next, nil)
	res := measure(srv.pid, func() loadResult { return runLoadWith(url, clients, d, next, nil) })
	b.add(row{fmt.Sprintf("API Setu certificate API with consent, %d clients, %d-document home, SQLite", clients, n), f0(res.rps), "req/s",
		fmt.Sprintf("p50 %.1f ms, p99 %.1f ms (target < 25), %d errors in %d requests; server CPU %.1f µs a request; RSA-2048 consent signatures (each artifact verified once), a group-committed use and an audit entry per request%s",
			res.p50, res.p99, res.errs, res.reqs, us(res.cpu), pinNote)})
	bres, err := b.bareRun(sample, clients, d/2, next)
	if err != nil {
		return err
	}
	b.add(row{fmt.Sprintf("bare net/http handler, same certificate from memory, %d clients", clients), f0(bres.rps), "req/s",
		fmt.Sprintf("p50 %.1f ms, p99 %.1f ms; %s (target ≥ 0.5)%s", bres.p50, bres.p99, vsBare(res, bres), pinNote)})
	return nil
}

// trustConsentManager makes a consent manager's RSA key and certificate
// and trusts it in home.
func (b *bench) trustConsentManager(home string) (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench consent manager"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		return nil, err
	}
	certFile := filepath.Join(b.dir, "cm.crt")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	_, err = runBin(b.bin, "--home", home, "consent", "trust", "--id", "bench.cm", "--cert", certFile)
	return k, err
}

// apisetuBodies prepares certificate requests for random students, each
// with a consent of its own (a million uses a day: the run never uses one
// up), signed on every core.
func apisetuBodies(gen samples.Options, n int, key *rsa.PrivateKey) ([][]byte, error) {
	out := make([][]byte, apisetuPrepared)
	r := mrand.New(mrand.NewPCG(3, 4))
	rows := make([][]string, len(out))
	for i := range rows {
		rows[i], _ = gen.Row(r.IntN(n))
	}
	now := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(out))
	workers := 8
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(out); i += workers {
				out[i], errs[i] = apisetuBody(rows[i], key, now)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func apisetuBody(row []string, key *rsa.PrivateKey, now time.Time) ([]byte, error) {
	dob := row[6]
	if t, err := time.Parse("2006-01-02", dob); err == nil {
		dob = t.Format("02-01-2006")
	}
	c := consent.Consent{ConsentID: consent.NewID(), Timestamp: consent.FormatTime(now.Add(-time.Minute)),
		DataConsumer: consent.Party{ID: "bench.bank"}, DataProvider: consent.Party{ID: "in.gov.bench"},
		Purpose: consent.Purpose{Description: "loan"}, User: consent.User{IDType: consent.IDAadhaar, IDNumber: row[8]},
		Data: consent.Party{ID: "SSCER"}, Permission: consent.Permission{Access: "VIEW",
			DateRange: consent.DateRange{From: consent.FormatTime(now.Add(-time.Hour)), To: consent.FormatTime(now.Add(24 * time.Hour))},
			Frequency: consent.Frequency{Unit: "DAY", Value: 1, Repeats: 1_000_000}}}
	a, err := consent.Sign(key, c)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"txnId": consent.NewID(), "format": "xml", "consentArtifact": a,
		"certificateParameters": map[string]string{"rollno": row[0], "year": row[1], "FullName": row[3], "DOB": dob}})
}

func postOnce(url string, body []byte, hdr http.Header) ([]byte, error) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header = hdr.Clone()
	resp, err := oneShot.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("certificate API warm-up: HTTP %d %s", resp.StatusCode, b)
	}
	return b, nil
}

// bareRun runs the load against a bare handler serving reply.
func (b *bench) bareRun(reply []byte, clients int, d time.Duration, next func(*mrand.Rand) ([]byte, http.Header, bool)) (measured, error) {
	bareAddr, err := freeAddr()
	if err != nil {
		return measured{}, err
	}
	replyPath := filepath.Join(b.dir, "reply-apisetu.xml")
	if err := os.WriteFile(replyPath, reply, 0o644); err != nil {
		return measured{}, err
	}
	self, _ := os.Executable()
	bare := pinned(self, "-bare-server", bareAddr, "-bare-reply", replyPath)
	if err := bare.Start(); err != nil {
		return measured{}, err
	}
	defer func() { bare.Process.Kill(); bare.Wait() }()
	if err := waitUp(bareAddr); err != nil {
		return measured{}, err
	}
	return measure(bare.Process.Pid, func() loadResult { return runLoadWith("http://"+bareAddr+"/", clients, d, next, nil) }), nil
}
