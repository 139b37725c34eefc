// Package scripts holds the shell scripts of the build (deps.sh, demo.sh)
// and the tests of their behaviour.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDepsStopsWithTheInstallLine runs deps.sh on a machine it sees with
// none of the test tools, as a user who is not root and has no sudo: it
// must stop at once, exit 1, and print the exact apt-get line.
func TestDepsStopsWithTheInstallLine(t *testing.T) {
	bin := t.TempDir()
	for _, tool := range []string{"bash", "mktemp", "rm", "tail"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	// A user who is not root.
	if err := os.WriteFile(filepath.Join(bin, "id"), []byte("#!"+filepath.Join(bin, "bash")+"\necho 1000\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "bash"), "deps.sh")
	none := filepath.Join(t.TempDir(), "none")
	cmd.Env = []string{"PATH=" + bin, "DEPS_POSTGRES_GLOB=" + filepath.Join(none, "initdb"), "DEPS_LIBCRYPTO_GLOB=" + filepath.Join(none, "libcrypto.so.3")}
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	want := "sudo apt-get install -y --no-install-recommends xmlsec1 softhsm2 poppler-utils zbar-tools curl ca-certificates gcc libc6-dev git openssl chromium libssl3 postgresql"
	if !strings.Contains(string(out), want) {
		t.Errorf("output:\n%s\nwant the line %q", out, want)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v to stop", d)
	}
	// With everything present it says nothing and succeeds.
	check := exec.Command("bash", "deps.sh", "--check")
	if out, err := check.CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("on this machine: %v %q (make test runs deps.sh first, so every tool is here)", err, out)
	}
}
