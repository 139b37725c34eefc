// Package locker is the reference locker: a small, real DigiLocker-style
// HTTP server an issuer rehearses its integration against. It receives
// Push URI requests (single and bulk CSV), checking each one's HMAC against
// the issuer's registered key and recognising a repeated txn; keeps every
// citizen's Issued Documents in its own SQLite store, citizens being a
// keyed hash of the Aadhaar number (never the number itself); and fetches
// a document from the issuer's Pull Doc API on demand, verifying its
// XML-DSig signature against the issuer's certificate before returning it.
// Faults (failure rate, latency, downtime) make it misbehave on purpose for
// the pusher's tests and the demo.
//
// It is also a sandbox of DigiLocker itself: citizens sign in with an OTP
// from its SMS outbox and a security PIN (auth.go), link an Aadhaar and
// pull documents by search through the issuer's Pull URI (citizens.go,
// issuerclient.go, sandbox.go), see their Issued Documents and Activity;
// requesters open consent sessions and read what citizens allow, through
// Pull Doc or the issuer's API Setu certificate API with a consent
// artifact the locker signs as consent manager (requesters.go,
// setuclient.go). api.go and requesterapi.go are the JSON API, pages.go
// the server-rendered pages.
//
// It is another party: it talks to the issuer over HTTP only and imports
// neither repository, ingest nor pusher — only the shared wire vocabulary
// (xmlschema), signature checking (signer), consent artifacts (consent)
// and issuerkit's internal helpers (Aadhaar sealing and keyed hashes, HTTP
// serving, the SQLite opener).
package locker
