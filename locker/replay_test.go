package locker_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/locker"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// state returns the locker's state of uri ("" when it has none).
func (f *lockerFixture) state(uri string) string {
	f.t.Helper()
	st := ""
	f.store.All(context.Background(), func(d locker.Document) error {
		if d.URI == uri {
			st = d.State
		}
		return nil
	})
	return st
}

// TestBulkReplayUnderNewTxn is the attack of issue 21 point 6: a bulk A,
// then a D, then the captured A body again under another (unsigned) txn
// header. The document must stay deleted.
func TestBulkReplayUnderNewTxn(t *testing.T) {
	f := newLocker(t, nil)
	uri := issuer + "-SSCER-1"
	bulk := func(d xmlschema.PushDetails, txn string) []byte {
		var b bytes.Buffer
		xmlschema.WritePushCSV(&b, []xmlschema.PushDetails{d})
		return b.Bytes()
	}
	send := func(body []byte, txn string) string {
		t.Helper()
		code, reply := f.post(xmlschema.PushBulkPath, body, key, map[string]string{xmlschema.OrgIDHeader: issuer, xmlschema.TxnHeader: txn})
		rs, err := xmlschema.ReadPushResults(bytes.NewReader(reply))
		if code != 200 || err != nil || len(rs) != 1 {
			t.Fatalf("bulk: HTTP %d %s", code, reply)
		}
		return rs[0].Status + " " + rs[0].Message
	}
	add := details(alice, uri, "A")
	add.Timestamp = "01/06/2025 10:00:00 AM"
	del := details(alice, uri, "D")
	del.Timestamp = "01/06/2025 10:05:00 AM"
	addBody := bulk(add, "outbox-1")
	send(addBody, "outbox-1")
	send(bulk(del, "outbox-2"), "outbox-2")
	if st := f.state(uri); st != "deleted" {
		t.Fatalf("after A, D: %q", st)
	}
	for _, txn := range []string{"evil-1", "outbox-1", ""} {
		if got := send(addBody, txn); got != "1 already applied" {
			t.Errorf("replay under txn %q: %s, want a repeat", txn, got)
		}
	}
	if st := f.state(uri); st != "deleted" {
		t.Fatalf("a replayed bulk A brought the deleted document back: %q", st)
	}
	// A new A (the pusher's next outbox row: a later Timestamp) applies.
	again := details(alice, uri, "A")
	again.Timestamp = "02/06/2025 09:00:00 AM"
	if got := send(bulk(again, "outbox-3"), "outbox-3"); got != "1 URI added" || f.state(uri) != "active" {
		t.Fatalf("a new A: %s, state %q", got, f.state(uri))
	}
}

// TestPushReplayWindow: a Push URI request's ts and txn are signed (they
// are attributes of PushUriRequest). A captured request replayed within the
// window is a repeat of its txn, changing nothing; outside the window, or
// without a ts, it is refused before anything is applied.
func TestPushReplayWindow(t *testing.T) {
	f := newLocker(t, nil)
	uri := issuer + "-SSCER-1"
	req := func(ts, txn, action string) []byte {
		var b bytes.Buffer
		d := details(alice, uri, action)
		xmlschema.AppendPushRequest(&b, issuer, ts, txn, key, &d)
		return b.Bytes()
	}
	captured := req(nowTS(), "t1", "A")
	if code, reply := f.post(xmlschema.PushPath, captured, key, nil); code != 200 || !bytes.Contains(reply, []byte(`Status="1"`)) {
		t.Fatalf("A: %d %s", code, reply)
	}
	if st, msg := f.push("t2", details(alice, uri, "D")); st != "1" || f.state(uri) != "deleted" {
		t.Fatalf("D: %s %s", st, msg)
	}
	if code, reply := f.post(xmlschema.PushPath, captured, key, nil); code != 200 || !bytes.Contains(reply, []byte("already applied")) {
		t.Fatalf("replay in the window: %d %s", code, reply)
	}
	old := time.Now().Add(-11 * time.Minute).In(xmlschema.IST).Format(time.RFC3339)
	future := time.Now().Add(11 * time.Minute).In(xmlschema.IST).Format(time.RFC3339)
	for name, body := range map[string][]byte{"11 minutes old": req(old, "t3", "A"), "from the future": req(future, "t4", "A"), "no ts": req("", "t5", "A")} {
		if code, _ := f.post(xmlschema.PushPath, body, key, nil); code != 401 {
			t.Errorf("%s: HTTP %d, want 401", name, code)
		}
	}
	if st := f.state(uri); st != "deleted" {
		t.Fatalf("a replayed push brought the deleted document back: %q", st)
	}
}
