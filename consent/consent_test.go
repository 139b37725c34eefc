package consent

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	rsaKey, _ = rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _  = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now       = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
)

func sample() Consent {
	return Consent{
		ConsentID:    "ea9c43aa-7f5a-4bf3-a0be-e1caa24737ba",
		Timestamp:    FormatTime(now.Add(-time.Minute)),
		DataConsumer: Party{ID: "bank1"},
		DataProvider: Party{ID: "in.gov.cbse"},
		Purpose:      Purpose{Description: "loan application"},
		User:         User{IDType: IDAadhaar, IDNumber: "999941057058"},
		Data:         Party{ID: "SSCER"},
		Permission: Permission{Access: "ONETIME",
			DateRange: DateRange{From: FormatTime(now.Add(-time.Hour)), To: FormatTime(now.Add(time.Hour))},
			Frequency: Frequency{Unit: "DAY", Value: 1, Repeats: 3}},
	}
}

// The example of RFC 8785 §3.2.2.
func TestCanonicalRFC8785Example(t *testing.T) {
	in := `{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`
	want := `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`
	got, err := Canonical([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("Canonical:\n got %s\nwant %s", got, want)
	}
}

func TestCanonicalRefuses(t *testing.T) {
	for _, in := range []string{`{"a":1,"a":2}`, "{\"a\":\"\xff\"}", `{"a":}`, `[1,2`, ``} {
		if _, err := Canonical([]byte(in)); err == nil {
			t.Errorf("Canonical(%q) accepted", in)
		}
	}
}

func TestSignVerify(t *testing.T) {
	for _, key := range []crypto.Signer{rsaKey, ecKey} {
		a, err := Sign(key, sample())
		if err != nil {
			t.Fatal(err)
		}
		c, err := a.Verify(key.Public())
		if err != nil {
			t.Fatalf("%T: %v", key, err)
		}
		if !reflect.DeepEqual(c, sample()) {
			t.Fatalf("%T: verified consent %+v, want %+v", key, c, sample())
		}
	}
}

// The signature covers the meaning, not the bytes: the same consent with its
// members reordered and spaced verifies; any changed value does not.
func TestVerifyCanonicalNotBytes(t *testing.T) {
	a, err := Sign(rsaKey, sample())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(a.Consent, &m); err != nil {
		t.Fatal(err)
	}
	spaced, _ := json.MarshalIndent(m, "", "    ")
	if bytes.Equal(spaced, a.Consent) {
		t.Fatal("re-encoding did not change the bytes")
	}
	if _, err := (Artifact{Consent: spaced, Signature: a.Signature}).Verify(rsaKey.Public()); err != nil {
		t.Fatalf("re-spaced consent: %v", err)
	}

	tampered := []struct{ name, old, new string }{
		{"consumer", `"bank1"`, `"bank2"`},
		{"repeats", `"repeats":3`, `"repeats":30`},
		{"added member", `"consentId"`, `"extra":1,"consentId"`},
		{"duplicate member", `"consentId":"ea9c43aa-7f5a-4bf3-a0be-e1caa24737ba"`, `"consentId":"ea9c43aa-7f5a-4bf3-a0be-e1caa24737ba","consentId":"00000000-0000-4000-8000-000000000000"`},
	}
	for _, tc := range tampered {
		raw := strings.Replace(string(a.Consent), tc.old, tc.new, 1)
		if raw == string(a.Consent) {
			t.Fatalf("%s: nothing replaced", tc.name)
		}
		_, err := Artifact{Consent: json.RawMessage(raw), Signature: a.Signature}.Verify(rsaKey.Public())
		var re *RuleError
		if !errors.As(err, &re) || (re.Rule != RuleSignature && re.Rule != RuleMalformed) {
			t.Errorf("%s: Verify = %v, want a signature or malformed rule error", tc.name, err)
		}
	}
}

func TestVerifyWrongKeyOrSignature(t *testing.T) {
	a, _ := Sign(ecKey, sample())
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cases := map[string]Artifact{
		"other key":     a,
		"not base64":    {Consent: a.Consent, Signature: Signature{Signature: "!!!"}},
		"empty":         {Consent: a.Consent},
		"truncated sig": {Consent: a.Consent, Signature: Signature{Signature: a.Signature.Signature[:20]}},
	}
	for name, art := range cases {
		_, err := art.Verify(other.Public())
		var re *RuleError
		if !errors.As(err, &re) || re.Rule != RuleSignature {
			t.Errorf("%s: Verify = %v, want RuleSignature", name, err)
		}
	}
	if _, err := a.Verify(rsaKey.Public()); err == nil {
		t.Error("an ECDSA signature verified with an RSA key")
	}
}

// JOSE-style r‖s ECDSA signatures are taken too, URL-safe base64 as well.
func TestVerifyECDSARawRS(t *testing.T) {
	a, _ := Sign(ecKey, sample())
	canon, _ := Canonical(a.Consent)
	d := sha256.Sum256(canon)
	r, s, err := ecdsa.Sign(rand.Reader, ecKey, d[:])
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	s.FillBytes(raw[32:])
	a.Signature.Signature = base64.RawURLEncoding.EncodeToString(raw)
	if _, err := a.Verify(ecKey.Public()); err != nil {
		t.Fatal(err)
	}
}

func TestCheckTime(t *testing.T) {
	at := func(d time.Duration) string { return FormatTime(now.Add(d)) }
	cases := []struct {
		name     string
		ts       string
		from, to string
		want     Rule // "" for no error
	}{
		{"valid", at(-time.Minute), at(-time.Hour), at(time.Hour), ""},
		{"timestamp within skew", at(4 * time.Minute), at(-time.Hour), at(time.Hour), ""},
		{"timestamp in the future", at(6 * time.Minute), at(-time.Hour), at(time.Hour), RuleTimestamp},
		{"timestamp not UTC", "2026-12-02T11:30:00.000+05:30", at(-time.Hour), at(time.Hour), RuleTimestamp},
		{"not yet valid", at(-time.Minute), at(time.Second), at(time.Hour), RuleNotYet},
		{"expired", at(-time.Minute), at(-time.Hour), at(-time.Millisecond), RuleExpired},
		{"ends now", at(-time.Minute), at(-time.Hour), at(0), ""},
		{"bad from", at(-time.Minute), "yesterday", at(time.Hour), RuleMalformed},
	}
	for _, tc := range cases {
		c := sample()
		c.Timestamp, c.Permission.DateRange = tc.ts, DateRange{From: tc.from, To: tc.to}
		err := c.CheckTime(now)
		var re *RuleError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (!errors.As(err, &re) || re.Rule != tc.want):
			t.Errorf("%s: CheckTime = %v, want rule %s", tc.name, err, tc.want)
		}
	}
}

func TestFrequencySince(t *testing.T) {
	cases := []struct {
		f    Frequency
		want time.Time
	}{
		{Frequency{"HOUR", 2, 1}, now.Add(-2 * time.Hour)},
		{Frequency{"day", 1, 5}, now.AddDate(0, 0, -1)},
		{Frequency{"MONTH", 3, 1}, now.AddDate(0, -3, 0)},
		{Frequency{"YEAR", 1, 1}, now.AddDate(-1, 0, 0)},
		{Frequency{"HOUR", 24 * 365 * 100, 1}, now.Add(-24 * 365 * 100 * time.Hour)},
		// Windows past maxWindowYears start at the epoch: 3,000,000 HOURs
		// once wrapped the Duration to a start in the future (no limit).
		{Frequency{"HOUR", 3_000_000, 1}, time.Unix(0, 0)},
		{Frequency{"HOUR", 1 << 62, 1}, time.Unix(0, 0)},
		{Frequency{"DAY", 1_000_000_000_000, 1}, time.Unix(0, 0)},
		{Frequency{"MONTH", 1 << 40, 1}, time.Unix(0, 0)},
		{Frequency{"YEAR", 200, 1}, time.Unix(0, 0)},
		{Frequency{"YEAR", 199, 1}, now.AddDate(-199, 0, 0)},
	}
	for _, tc := range cases {
		got, err := tc.f.Since(now)
		if err == nil && !got.Before(now) {
			t.Errorf("%+v: Since = %v, not before now: every earlier use would be missed", tc.f, got)
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%+v: Since = %v, %v; want %v", tc.f, got, err, tc.want)
		}
	}
	for _, f := range []Frequency{{"WEEK", 1, 1}, {"DAY", 0, 1}, {"DAY", 1, 0}} {
		if _, err := f.Since(now); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
}

func TestUUID(t *testing.T) {
	for i := 0; i < 100; i++ {
		id := NewID()
		if !IsUUID(id) || id[14] != '4' {
			t.Fatalf("NewID = %q", id)
		}
	}
	for s, want := range map[string]bool{
		"ea9c43aa-7f5a-4bf3-a0be-e1caa24737ba":  true,
		"EA9C43AA-7F5A-4BF3-A0BE-E1CAA24737BA":  true,
		"ea9c43aa7f5a4bf3a0bee1caa24737ba":      false,
		"ea9c43aa-7f5a-4bf3-a0be-e1caa24737bz":  false,
		"{ea9c43aa-7f5a-4bf3-a0be-e1caa24737b}": false,
		"":                                      false,
	} {
		if IsUUID(s) != want {
			t.Errorf("IsUUID(%q) = %v", s, !want)
		}
	}
}

func TestPublicKeyFromPEM(t *testing.T) {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cm"},
		NotBefore: now, NotAfter: now.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, ecKey.Public(), ecKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	pkix, _ := x509.MarshalPKIXPublicKey(rsaKey.Public())
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
	for name, in := range map[string][]byte{"cert": certPEM, "public key": pubPEM} {
		if _, err := PublicKeyFromPEM(in); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der384, _ := x509.MarshalPKIXPublicKey(p384.Public())
	for name, in := range map[string][]byte{
		"garbage": []byte("nope"),
		"p-384":   pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der384}),
		"private": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}),
	} {
		if _, err := PublicKeyFromPEM(in); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// FuzzCanonical holds the canonicalizer to encoding/json: whatever both
// accept means the same value before and after, and canonical form is a
// fixed point.
func FuzzCanonical(f *testing.F) {
	b, _ := json.Marshal(sample())
	f.Add(b)
	f.Add([]byte(`{"b":[1,2.5e3,-0.0,"\u00e9"],"a":{"z":null,"y":true}}`))
	f.Add([]byte(`[1e400]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		canon, err := Canonical(in)
		if err != nil {
			return
		}
		var before, after any
		if err := json.Unmarshal(in, &before); err != nil {
			t.Fatalf("Canonical accepted what encoding/json refuses: %q: %v", in, err)
		}
		if err := json.Unmarshal(canon, &after); err != nil {
			t.Fatalf("canonical form %q does not parse: %v", canon, err)
		}
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("meaning changed:\n in %q\nout %q", in, canon)
		}
		again, err := Canonical(canon)
		if err != nil || !bytes.Equal(again, canon) {
			t.Fatalf("not a fixed point: %q -> %q (%v)", canon, again, err)
		}
	})
}

// VerifyAny finds the key that signed among several, and fails with
// RuleSignature when none did or none is given.
func TestVerifyAny(t *testing.T) {
	a, _ := Sign(ecKey, sample())
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if c, err := a.VerifyAny([]crypto.PublicKey{rsaKey.Public(), other.Public(), ecKey.Public()}); err != nil || c.ConsentID != sample().ConsentID {
		t.Fatalf("VerifyAny with the signer third: %+v, %v", c, err)
	}
	for name, keys := range map[string][]crypto.PublicKey{"none signed": {rsaKey.Public(), other.Public()}, "no keys": nil} {
		_, err := a.VerifyAny(keys)
		var re *RuleError
		if !errors.As(err, &re) || re.Rule != RuleSignature {
			t.Errorf("%s: VerifyAny = %v, want RuleSignature", name, err)
		}
	}
}

// TestVerifyNamesAsWritten: a signed consent whose members match the known
// names only ignoring case is refused as malformed: encoding/json would
// take the last of "dataConsumer" and "dataconsumer" (JCS sorts the
// lower-case one after), so issuerkit and a reader that takes names as
// written would see different consumers. Unknown members stay allowed.
func TestVerifyNamesAsWritten(t *testing.T) {
	good, _ := json.Marshal(sample())
	for name, tc := range map[string]struct {
		edit string // a member spliced in after the opening brace
		ok   bool
	}{
		"as written":              {"", true},
		"an unknown member":       {`"note":{"DataConsumer":1},`, true},
		"a case variant":          {`"dataconsumer":{"id":"other"},`, false},
		"a nested case variant":   {`"user":{"idtype":"MOBILE","mobile":"9"},`, false},
		"an upper-case consentId": {`"CONSENTID":"00000000-0000-4000-8000-000000000000",`, false},
	} {
		raw := append([]byte("{"+tc.edit), good[1:]...)
		if tc.edit != "" && strings.HasPrefix(tc.edit, `"user"`) {
			// replace the user member instead of adding a second one
			var m map[string]json.RawMessage
			json.Unmarshal(good, &m)
			m["user"] = json.RawMessage(`{"idtype":"MOBILE","mobile":"9"}`)
			raw, _ = json.Marshal(m)
		}
		a, err := SignRaw(rsaKey, raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, err = a.Verify(rsaKey.Public())
		var re *RuleError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v, want verified", name, err)
		case !tc.ok && (!errors.As(err, &re) || re.Rule != RuleMalformed):
			t.Errorf("%s: %v, want rule %s", name, err, RuleMalformed)
		}
	}
}

// FuzzExactNames: the name check never panics, and no top-level member of
// a consent it passes is a case variant of one of Consent's names.
func FuzzExactNames(f *testing.F) {
	good, _ := json.Marshal(sample())
	f.Add(good)
	f.Add([]byte(`{"dataConsumer":{"id":"a"},"dataconsumer":{"id":"b"}}`))
	f.Add([]byte(`[{"user":{"IDTYPE":1}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if exactNames(data, reflect.TypeFor[Consent]()) != nil {
			return
		}
		var c Consent
		if json.Unmarshal(data, &c) != nil {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return
		}
		for k := range m {
			if _, folded := fieldNamed(reflect.TypeFor[Consent](), k); folded != "" {
				t.Fatalf("member %q passed, a case variant of %q", k, folded)
			}
		}
	})
}
