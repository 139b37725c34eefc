//go:build integration

package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/xmlschema"
)

func TestMain(m *testing.M) {
	testenv.Main(m, func() {
		if binPath != "" {
			os.RemoveAll(filepath.Dir(binPath)) // buildBinary's
		}
	})
}

// syncLog collects the output of several processes.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	stampTS  = regexp.MustCompile(` ts="[^"]*"`)
	stampTxn = regexp.MustCompile(` txn="[^"]*"`)
	stampSeq atomic.Int64
)

// stamp gives a request the current ts and a txn of its own, as a locker
// sends them: serve refuses a stale ts or a repeated txn (--replay-window).
func stamp(body string) string {
	body = stampTS.ReplaceAllLiteralString(body, ` ts="`+time.Now().Format(time.RFC3339)+`"`)
	return stampTxn.ReplaceAllStringFunc(body, func(m string) string {
		return fmt.Sprintf(` txn="%s-%d"`, m[6:len(m)-1], stampSeq.Add(1))
	})
}

// postSigned POSTs body to url signed with home's API key (x-digilocker-hmac),
// as a locker signs a pull and an issuer a push, and returns the HTTP status
// and the reply.
func postSigned(t *testing.T, home, url, body string) (int, string) {
	t.Helper()
	body = stamp(body)
	key, err := os.ReadFile(filepath.Join(home, "keys", "api-key"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set(xmlschema.HMACHeader, xmlschema.SignBody(bytes.TrimSpace(key), []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(reply)
}
