package signer

import (
	"strings"
	"testing"
)

func TestParsePKCS11URI(t *testing.T) {
	u, err := ParsePKCS11URI("pkcs11:token=My%20Board;object=signing;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/pin")
	if err != nil {
		t.Fatal(err)
	}
	if u.Token != "My Board" || u.Object != "signing" || u.ModulePath != "/usr/lib/softhsm/libsofthsm2.so" || u.PinSource != "file:/etc/pin" {
		t.Fatalf("%+v", u)
	}
	if s := u.String(); s != "pkcs11:token=My%20Board;object=signing" || strings.Contains(s, "pin") {
		t.Fatalf("String() = %q", s)
	}
	u, err = ParsePKCS11URI("pkcs11:slot-id=2;id=%01%02?module-path=/m.so")
	if err != nil || *u.Slot != 2 || string(u.ID) != "\x01\x02" {
		t.Fatalf("%+v %v", u, err)
	}
	bad := map[string]string{
		"/path/key.pem":                                      "not a PKCS#11 URI",
		"pkcs11:object=k?module-path=/m.so":                  "name the token",
		"pkcs11:token=t?module-path=/m.so":                   "name the key",
		"pkcs11:token=t;object=k":                            "module-path",
		"pkcs11:token=t;serial=1;object=k?module-path=/m":    "one way only",
		"pkcs11:token=t;object=k;colour=red?module-path=/m":  "unknown attribute",
		"pkcs11:token=t;object=k;type=public?module-path=/m": "private key",
		"pkcs11:slot-id=x;object=k?module-path=/m":           "not a number",
	}
	for in, want := range bad {
		if _, err := ParsePKCS11URI(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", in, err, want)
		}
	}
}

func TestPKCS11PIN(t *testing.T) {
	dir := t.TempDir()
	f := writeTemp(t, dir, "pin", []byte("1234\n"))
	u := PKCS11URI{PinSource: "file:" + f}
	if pin, err := u.PIN(); err != nil || pin != "1234" {
		t.Fatalf("pin %q %v", pin, err)
	}
	t.Setenv(PINEnv, "from-env")
	if pin, err := (PKCS11URI{}).PIN(); err != nil || pin != "from-env" {
		t.Fatalf("env pin %q %v", pin, err)
	}
}
