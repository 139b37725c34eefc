package pusher

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// TestGatewayTextIsRedacted: a gateway that echoes the Aadhaar number in
// its message never gets it into a dead letter, log or error.
func TestGatewayTextIsRedacted(t *testing.T) {
	const num = "999941057058"
	r := classify("A", "0", "Aadhaar "+num+" is not linked")
	if r.kind != repository.Dead || strings.Contains(r.reason, num) || !strings.Contains(r.reason, "XXXXXXXX7058") {
		t.Fatalf("classify: %+v", r)
	}
	resp := &http.Response{StatusCode: http.StatusForbidden, Header: http.Header{}}
	if _, _, err := classifyHTTP("A", resp, []byte("denied for "+num)); err == nil || strings.Contains(err.Error(), num) {
		t.Fatalf("classifyHTTP error: %v", err)
	}
	resp.StatusCode = http.StatusBadRequest
	if r, _, _ := classifyHTTP("A", resp, []byte("bad row "+num)); strings.Contains(r.reason, num) {
		t.Fatalf("classifyHTTP reason: %q", r.reason)
	}
}

func TestClassifyAndRetryAfter(t *testing.T) {
	cases := []struct {
		action, status, msg string
		kind                repository.Outcome
		already             bool
	}{
		{"A", "1", "", repository.Pushed, false},
		{"A", "0", xmlschema.MsgExistsHere, repository.Pushed, true},
		{"D", "0", xmlschema.MsgExistsHere, repository.Dead, false},
		{"U", "0", xmlschema.MsgExistsHere, repository.Dead, false}, // success for an A only (digilocker-spec.md §5)
		{"A", "0", xmlschema.MsgExistsElsewhere, repository.Dead, false},
		{"U", "9", "busy", repository.Retry, false},
	}
	for _, c := range cases {
		if r := classify(c.action, c.status, c.msg); r.kind != c.kind || r.already != c.already {
			t.Errorf("classify(%s, %s, %q) = %+v", c.action, c.status, c.msg, r)
		}
	}
	for in, want := range map[string]time.Duration{"": 0, "3": 3 * time.Second, "99999999999999999999": time.Hour, "x": 0} {
		if got := retryAfter(in); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
	if got := retryAfter(time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)); got < 80*time.Second || got > 91*time.Second {
		t.Errorf("retryAfter(date) = %v", got)
	}
}

// TestClassifyJSON: the authorized-partner API's HTTP 400 JSON errors.
func TestClassifyJSON(t *testing.T) {
	resp := &http.Response{StatusCode: http.StatusBadRequest, Header: http.Header{}}
	for _, c := range []struct {
		action, body string
		kind         repository.Outcome
		already      bool
		reason       string
	}{
		{"A", `{"error":"invalid_request","error_description":"URI already exists in this account"}`, repository.Pushed, true, ""},
		{"U", `{"error":"invalid_request","error_description":"URI already exists in this account"}`, repository.Dead, false, "URI already exists in this account"},
		{"A", `{"error":"invalid_request","error_description":"URI already exists in another account"}`, repository.Dead, false, "URI already exists in another account"},
		{"A", `{"error":"invalid_aadhaar"}`, repository.Dead, false, "invalid_aadhaar"},
		{"A", `not json`, repository.Dead, false, "HTTP 400 not json"},
	} {
		r, done, err := classifyHTTP(c.action, resp, []byte(c.body))
		if err != nil || !done || r.kind != c.kind || r.already != c.already || !strings.Contains(r.reason, c.reason) {
			t.Errorf("%s %s: %+v %v %v", c.action, c.body, r, done, err)
		}
	}
	// An XML PushUriResponse keeps working.
	if r := classify("A", "0", xmlschema.MsgExistsHere); r.kind != repository.Pushed || !r.already {
		t.Errorf("XML form: %+v", r)
	}
}
