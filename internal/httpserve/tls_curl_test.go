//go:build integration

package httpserve

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
)

// TestServeTLSWithCurl: curl, trusting the bundle's CA, gets the page over
// TLS 1.2+, and refuses an expired and a wrong-host certificate; TLS 1.1
// is refused by the server.
func TestServeTLSWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		testenv.SkipOrFail(t, "curl is not installed")
	}
	dir := t.TempDir()
	ca := newTestCA(t, dir)
	now := time.Now()
	good, goodKey := ca.leaf(t, dir, "good", []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour))
	expired, expiredKey := ca.leaf(t, dir, "expired", []string{"127.0.0.1"}, now.Add(-2*time.Hour), now.Add(-time.Hour))
	other, otherKey := ca.leaf(t, dir, "other", []string{"other.example"}, now.Add(-time.Hour), now.Add(time.Hour))
	run := func(addr string, extra ...string) (string, int) {
		args := append([]string{"-sS", "--max-time", "10", "--cacert", ca.pem}, extra...)
		out, err := exec.Command(curl, append(args, "https://"+addr+"/")...).CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	addr, _ := startTLS(t, good, goodKey)
	if out, code := run(addr, "--tlsv1.2"); code != 0 || out != "hello" {
		t.Fatalf("curl: exit %d %s", code, out)
	}
	if out, code := run(addr, "--tlsv1.0", "--tls-max", "1.1"); code == 0 {
		t.Errorf("curl got through with TLS 1.1: %s", out)
	}
	for name, pair := range map[string][2]string{"expired": {expired, expiredKey}, "wrong host": {other, otherKey}} {
		addr, _ := startTLS(t, pair[0], pair[1])
		// 60: the peer certificate cannot be authenticated.
		if out, code := run(addr); code != 60 || strings.Contains(out, "hello") {
			t.Errorf("%s certificate: curl exit %d %s, want 60", name, code, out)
		}
	}
}
