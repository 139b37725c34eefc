package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// VersitygwVersion is the S3 server the tests build and run.
const VersitygwVersion = "v1.8.0"

// S3Server is an S3 endpoint for tests: a versitygw process this package
// started on 127.0.0.1, or the external one named by ISSUERKIT_TEST_S3_*.
type S3Server struct {
	Endpoint             string
	AccessKey, SecretKey string
	Bucket               string

	bin, dir, addr string
	cmd            *exec.Cmd
	log            bytes.Buffer
}

// StartS3 returns a running S3 server with an empty bucket, stopped when t
// ends. Without ISSUERKIT_TEST_S3_ENDPOINT it builds versitygw once (into
// the user cache, under a file lock) and starts it on a free port.
func StartS3(t testing.TB) *S3Server {
	t.Helper()
	if ep := os.Getenv("ISSUERKIT_TEST_S3_ENDPOINT"); ep != "" {
		return &S3Server{Endpoint: ep, AccessKey: os.Getenv("ISSUERKIT_TEST_S3_ACCESS_KEY"),
			SecretKey: os.Getenv("ISSUERKIT_TEST_S3_SECRET_KEY"), Bucket: os.Getenv("ISSUERKIT_TEST_S3_BUCKET")}
	}
	s, err := NewS3Server(t.TempDir())
	if err != nil {
		SkipOrFail(t, "no S3 server: "+err.Error())
	}
	t.Cleanup(s.Stop)
	return s
}

// NewS3Server builds (once) and starts versitygw on a free 127.0.0.1 port,
// storing its bucket under dir. The caller must Stop it.
func NewS3Server(dir string) (*S3Server, error) {
	bin, err := versitygw()
	if err != nil {
		return nil, err
	}
	s := &S3Server{bin: bin, dir: dir, AccessKey: "issuerkit-test", SecretKey: randomHex(16), Bucket: "issuerkit-test"}
	if err := os.MkdirAll(filepath.Join(s.dir, s.Bucket), 0o755); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.addr = l.Addr().String()
	l.Close()
	s.Endpoint = "http://" + s.addr
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts (or restarts) the server on its address and directory and
// waits until it accepts connections.
func (s *S3Server) Start() error {
	if s.bin == "" {
		return fmt.Errorf("external S3 servers cannot be restarted")
	}
	s.cmd = exec.Command(s.bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--port", s.addr, "posix", s.dir)
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	if err := s.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	return fmt.Errorf("versitygw did not start on %s:\n%s", s.addr, s.log.String())
}

// Kill stops the server with SIGKILL, as a crash would.
func (s *S3Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGKILL)
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Stop stops the server.
func (s *S3Server) Stop() { s.Kill() }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// versitygw returns the path of the pinned versitygw binary, building it
// with `go install` into the user cache on first use.
func versitygw() (string, error) {
	if p := os.Getenv("ISSUERKIT_TEST_VERSITYGW"); p != "" {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "issuerkit", "versitygw-"+VersitygwVersion)
	bin := filepath.Join(dir, "versitygw")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // another test package built it while we waited
	}
	cmd := exec.Command("go", "install", "github.com/versity/versitygw/cmd/versitygw@"+VersitygwVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install versitygw@%s: %v\n%s", VersitygwVersion, err, out)
	}
	return bin, nil
}
