package locker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/xmlschema"
)

// DefaultPushWindow is how far a Push URI request's ts may be from the
// locker's clock (Config.PushWindow).
const DefaultPushWindow = 10 * time.Minute

// What stops a replayed push.
//
// A Push URI request (XML) carries ts and txn as attributes of
// PushUriRequest, inside the body the HMAC covers: they cannot be changed
// without the issuer's key. The locker refuses a ts outside its window and
// applies a txn once per URI (a repeat, such as the pusher's retry after a
// timeout, is "already applied"), so a captured request does nothing again.
//
// A bulk push (CSV) is authenticated over the body alone, as DigiLocker
// defines it; its txn and ts travel in headers nobody signs. The locker
// therefore ignores the header txn for deciding repeats and names each row
// by what is signed: bulkRowID, a hash of the row's fields, the Aadhaar
// number as the locker's keyed citizen hash (never in clear). The pusher's Timestamp column is its outbox row's
// creation time, so a retry of the same row, or a replay of a captured
// body under any txn, is "already applied" and cannot bring a deleted
// document back.

// bulkRowID is the txn a bulk row is applied under; citizen is the
// row's CitizenHash.
func bulkRowID(citizen string, d *xmlschema.PushDetails) string {
	h := sha256.New()
	for _, f := range []string{citizen, d.URI, d.DocType, d.DocName, d.DocID, d.IssuedOn, d.ValidFrom, d.ValidTo, d.Timestamp, d.Action} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return "bulk-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// checkPushTS refuses a Push URI request whose signed ts is missing or
// further than window from now.
func checkPushTS(ts string, now time.Time, window time.Duration) error {
	if window < 0 {
		return nil
	}
	t, ok := parseTS(ts)
	if !ok {
		return fmt.Errorf("ts %q is not a timestamp", clipTS(ts))
	}
	if d := now.Sub(t); d > window || d < -window {
		return fmt.Errorf("ts %s is more than %s from the locker's clock (replayed, or check the issuer's clock)", clipTS(ts), window)
	}
	return nil
}

func parseTS(s string) (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-07:00", "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(l, strings.TrimSpace(s), xmlschema.IST); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func clipTS(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}
