package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"net/url"
	"strings"
)

// TokenLen is the length of a /verify token: 80 bits of an HMAC-SHA256,
// base32 in lower case, short enough to print under the QR code and type.
const TokenLen = 16

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// VerifyToken is the token that opens uri's /verify page: a MAC of the
// document's URI under the home's verify key (keys/verify.key). Only the
// issuer can make it; the document's holder gets it on the PDF and the
// printed copy. Without it the DocIDs, often a roll number and a year,
// could be walked one by one.
func VerifyToken(key []byte, uri string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("issuerkit /verify token v1\x00"))
	m.Write([]byte(uri))
	return strings.ToLower(tokenEncoding.EncodeToString(m.Sum(nil)[:10]))
}

// VerifyLink is the link a document's QR code and print carry:
// base/verify/URI?k=TOKEN.
func VerifyLink(base string, key []byte, uri string) string {
	return strings.TrimSuffix(base, "/") + "/verify/" + uri + "?k=" + url.QueryEscape(VerifyToken(key, uri))
}

// validToken compares tok (case-insensitive, as a person may type it) with
// uri's token in constant time. No key: no page opens.
func validToken(key []byte, uri, tok string) bool {
	if len(key) == 0 || len(tok) != TokenLen {
		return false
	}
	want := VerifyToken(key, uri)
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(tok))) == 1
}
