package locker

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// DefaultLinkTTL is how long a citizen link stays valid.
const DefaultLinkTTL = time.Hour

// A citizen's pages (/citizens/{hash}/issued and the documents under it)
// open only with a signed link: exp (Unix seconds) and sig, an HMAC under a
// key derived from the locker's key, over the citizen hash and exp. The
// hash alone, which anyone who once saw a URL knows, opens nothing. A real
// locker signs citizens in; this is the reference locker's stand-in.

// CitizenLink returns the query ("exp=…&sig=…") that opens citizen's pages
// until exp.
func (s *Store) CitizenLink(citizen string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	return url.Values{"exp": {e}, "sig": {s.linkSig(citizen, e)}}.Encode()
}

func (s *Store) linkSig(citizen, exp string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("issuerkit locker citizen link v1\x00"))
	m.Write([]byte(citizen))
	m.Write([]byte{0})
	m.Write([]byte(exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// validLink checks r's exp and sig for citizen at now, in constant time.
func (s *Store) validLink(r *http.Request, citizen string, now time.Time) bool {
	q := r.URL.Query()
	exp, sig := q.Get("exp"), q.Get("sig")
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || now.Unix() > t {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(s.linkSig(citizen, exp)))
}

// linkExp is the expiry of the link r came with (already checked).
func linkExp(r *http.Request) time.Time {
	t, _ := strconv.ParseInt(r.URL.Query().Get("exp"), 10, 64)
	return time.Unix(t, 0)
}
