//go:build cgo

package testenv

import (
	"crypto"
	"crypto/elliptic"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ThalesGroup/crypto11"
)

// SoftHSM is a SoftHSM2 token made for one test: a real PKCS#11 module
// with its token files in a temp dir.
type SoftHSM struct {
	Module  string // the PKCS#11 library
	Token   string // the token's label
	PIN     string
	PINFile string // 0600, holding PIN
	ctx     *crypto11.Context
	once    sync.Once
}

// softHSMModules are where Debian and others install SoftHSM2's module.
var softHSMModules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// StartSoftHSM initialises a fresh token (setting SOFTHSM2_CONF for the
// test, so the test must not be parallel) or skips/fails t when SoftHSM2
// is not installed (apt-get install softhsm2).
func StartSoftHSM(t testing.TB) *SoftHSM {
	t.Helper()
	util, err := exec.LookPath("softhsm2-util")
	module := ""
	for _, m := range softHSMModules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	if err != nil || module == "" {
		SkipOrFail(t, "SoftHSM2 not found (apt-get install softhsm2)")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	s := &SoftHSM{Module: module, Token: "issuerkit-test", PIN: "4321", PINFile: filepath.Join(dir, "pin")}
	if out, err := exec.Command(util, "--init-token", "--free", "--label", s.Token, "--pin", s.PIN, "--so-pin", "87654321").CombinedOutput(); err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	if err := os.WriteFile(s.PINFile, []byte(s.PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.ctx, err = crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: s.Token, Pin: s.PIN})
	if err != nil {
		t.Fatalf("open the SoftHSM token: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// GenerateKey makes a key pair on the token, labelled label: kind is
// "rsa2048" or "ecdsa-p256". The private key never leaves the token.
func (s *SoftHSM) GenerateKey(t testing.TB, kind, label string) crypto.Signer {
	t.Helper()
	id := []byte(label)
	var k crypto.Signer
	var err error
	switch kind {
	case "rsa2048":
		k, err = s.ctx.GenerateRSAKeyPairWithLabel(id, []byte(label), 2048)
	case "ecdsa-p256":
		k, err = s.ctx.GenerateECDSAKeyPairWithLabel(id, []byte(label), elliptic.P256())
	default:
		err = fmt.Errorf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatalf("generate %s on the token: %v", kind, err)
	}
	return k
}

// Close logs the helper out of the token, so that the code under test logs
// in with its own PIN (a PKCS#11 login is shared by a whole process).
func (s *SoftHSM) Close() { s.once.Do(func() { s.ctx.Close() }) }

// URI is the PKCS#11 URI of the key labelled object, with the PIN in
// PINFile.
func (s *SoftHSM) URI(object string) string {
	return fmt.Sprintf("pkcs11:token=%s;object=%s?module-path=%s&pin-source=file:%s", s.Token, object, s.Module, s.PINFile)
}
