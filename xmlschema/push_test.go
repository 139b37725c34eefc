package xmlschema

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func samplePush() PushDetails {
	return PushDetails{Aadhaar: "999941057058", URI: "in.gov.cbse-SSCER-51171332015", DocType: "SSCER",
		DocName: "Class X Marksheet & Grades", DocID: "51171332015", IssuedOn: "15/05/2025", ValidFrom: "15/05/2025",
		Timestamp: PushTimestamp(time.Date(2025, 5, 15, 14, 3, 4, 0, time.UTC)), Action: "A"}
}

func TestPushRequestRoundTrip(t *testing.T) {
	p := samplePush()
	if p.Timestamp != "15/05/2025 02:03:04 PM" {
		t.Fatalf("timestamp %q", p.Timestamp)
	}
	var b bytes.Buffer
	AppendPushRequest(&b, "in.gov.cbse", "2025-05-15T14:03:04+05:30", "tx<1>", "k", &p)
	r, err := ParsePushRequest(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != "PushUriRequest" || r.OrgID != "in.gov.cbse" || r.Txn != "tx<1>" || !VerifyKeyHash("k", r.TS, r.KeyHash) {
		t.Fatalf("attributes: %+v", r)
	}
	if got := PushDetailsFrom(r); got != p {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, p)
	}
	// A pull parser does not accept a push, and the reverse.
	if _, err := ParseRequest(b.Bytes()); !errors.Is(err, ErrBadRequest) {
		t.Errorf("ParseRequest accepted a push: %v", err)
	}
	if _, err := ParsePushRequest([]byte(vecBody)); !errors.Is(err, ErrBadRequest) {
		t.Errorf("ParsePushRequest accepted a pull: %v", err)
	}
	two := `<PushUriRequest><UriDetails><Uri>a</Uri></UriDetails><UriDetails><Uri>b</Uri></UriDetails></PushUriRequest>`
	if _, err := ParsePushRequest([]byte(two)); !errors.Is(err, ErrBadRequest) {
		t.Errorf("two UriDetails: %v", err)
	}
	dtd := `<!DOCTYPE x [<!ENTITY e "1">]><PushUriRequest><UriDetails><Uri>&e;</Uri></UriDetails></PushUriRequest>`
	if _, err := ParsePushRequest([]byte(dtd)); !errors.Is(err, ErrBadRequest) {
		t.Errorf("DTD: %v", err)
	}
}

func TestPushResponse(t *testing.T) {
	var b bytes.Buffer
	AppendPushResponse(&b, "0", "t", "x", MsgExistsElsewhere)
	r, err := ParseResponse(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != "PushUriResponse" || r.Status != "0" || r.TS != "t" || r.Txn != "x" || r.Message != MsgExistsElsewhere {
		t.Fatalf("%+v", r)
	}
	pull := `<?xml version="1.0"?><PullDocResponse xmlns:ns2="http://tempuri.org/"><ResponseStatus Status="1" ts="a" txn="b">1</ResponseStatus><DocDetails><DataContent>PGE+</DataContent></DocDetails></PullDocResponse>`
	r, err = ParseResponse([]byte(pull))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "1" || r.Get("DataContent") != "PGE+" {
		t.Fatalf("%+v", r)
	}
	// API Setu's XML appendix spells the attribute status, with an empty
	// element: read alike (it was Status "" before, a push dead-lettered
	// as refused though it succeeded).
	for _, reply := range []string{
		`<PushUriResponse><ResponseStatus status="1" ts="a" txn="b"></ResponseStatus></PushUriResponse>`,
		`<PushUriResponse><ResponseStatus STATUS="1" TS="a" TXN="b"/></PushUriResponse>`,
	} {
		if r, err := ParseResponse([]byte(reply)); err != nil || r.Status != "1" || r.TS != "a" || r.Txn != "b" {
			t.Errorf("%s: %+v %v", reply, r, err)
		}
	}
	if _, err := ParseResponse([]byte(`<Other/>`)); !errors.Is(err, ErrBadRequest) {
		t.Errorf("other root: %v", err)
	}
}

func TestPushCSV(t *testing.T) {
	in := []PushDetails{samplePush(), samplePush()}
	in[1].Action, in[1].DocName, in[1].ValidTo = "U", `Name, with "quotes"`+"\nand a newline", "01/01/2030"
	var b bytes.Buffer
	if err := WritePushCSV(&b, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadPushCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n%+v\n%+v", in, out)
	}
	for name, body := range map[string]string{
		"no header":     "",
		"wrong columns": "A,B,C,D,E,F,G,H,I,J\n",
		"short row":     strings.Join(PushBulkColumns, ",") + "\n1,2,3\n",
	} {
		if _, err := ReadPushCSV(strings.NewReader(body)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A bulk CSV sent without its header line: the error must not quote
	// the first row, whose first cell is an Aadhaar number.
	row := "234123412346,in.gov.x-SSCER-1,SSCER,Marksheet,1,01-01-2025,,,2025-01-01T00:00:00+05:30,A\n"
	_, err = ReadPushCSV(strings.NewReader(row))
	if !errors.Is(err, ErrBadRequest) || strings.Contains(err.Error(), "2346") {
		t.Errorf("headerless bulk CSV: %v, want ErrBadRequest without the row's Aadhaar", err)
	}
	rs := []PushResult{{URI: "u", Action: "A", Status: "1", Message: "ok, done"}}
	b.Reset()
	if err := WritePushResults(&b, rs); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPushResults(&b)
	if err != nil || !reflect.DeepEqual(got, rs) {
		t.Fatalf("results %+v %v", got, err)
	}
}

// FuzzParsePushRequest: the push parser never panics, wraps ErrBadRequest,
// and never accepts a DOCTYPE.
func FuzzParsePushRequest(f *testing.F) {
	var b bytes.Buffer
	p := samplePush()
	AppendPushRequest(&b, "o", "t", "x", "k", &p)
	f.Add(b.String())
	f.Add(`<!DOCTYPE a [<!ENTITY b "c">]><PushUriRequest/>`)
	f.Fuzz(func(t *testing.T, body string) {
		r, err := ParsePushRequest([]byte(body))
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error does not wrap ErrBadRequest: %v", err)
			}
			return
		}
		if r.Kind != "PushUriRequest" {
			t.Fatalf("accepted root %q", r.Kind)
		}
		if strings.Contains(strings.ToUpper(body), "<!DOCTYPE") {
			t.Fatalf("accepted a DOCTYPE: %q", body)
		}
	})
}
