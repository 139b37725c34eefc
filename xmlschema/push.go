package xmlschema

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// Push URI (digilocker-spec.md §5): the issuer tells a locker that a
// citizen, named by Aadhaar, has a document at a URI.

// Push paths on the locker gateway. PushPath takes one PushUriRequest;
// PushBulkPath takes the bulk CSV variant.
const (
	PushPath     = "/public/issuer/api/issuedoc/1/xml"
	PushBulkPath = "/public/issuer/api/issuedoc/1/csv"
)

// Headers of a bulk push, which has no XML root to carry them. The body is
// authenticated by HMACHeader as usual. TxnHeader holds one txn for the
// request, or one per row separated by commas, so that a locker can
// recognise a repeated row however the rows are grouped.
const (
	OrgIDHeader = "x-digilocker-orgid"
	TSHeader    = "x-digilocker-ts"
	TxnHeader   = "x-digilocker-txn"
)

// Known Push URI failure texts (digilocker-spec.md §5).
const (
	MsgExistsHere      = "URI already exists in this account"
	MsgExistsElsewhere = "URI already exists in another account"
)

// PushDetails is one UriDetails: a URI pushed to the locker of the holder
// of Aadhaar.
type PushDetails struct {
	Aadhaar   string
	URI       string
	DocType   string
	DocName   string
	DocID     string
	IssuedOn  string // dd/mm/yyyy
	ValidFrom string // dd/mm/yyyy
	ValidTo   string // dd/mm/yyyy or empty
	Timestamp string // PushTimestamp
	Action    string // A, U or D
}

// PushTimestamp formats t as UriDetails/Timestamp: dd/mm/yyyy hh:mm:ss AM.
func PushTimestamp(t time.Time) string { return t.Format("02/01/2006 03:04:05 PM") }

// fields lists the UriDetails children in the order of the spec; the bulk
// CSV uses the same order.
func (p *PushDetails) fields() [10][2]string {
	return [10][2]string{
		{"Aadhaar", p.Aadhaar}, {"Uri", p.URI}, {"DocType", p.DocType}, {"DocName", p.DocName},
		{"DocId", p.DocID}, {"IssuedOn", p.IssuedOn}, {"ValidFrom", p.ValidFrom}, {"ValidTo", p.ValidTo},
		{"Timestamp", p.Timestamp}, {"Action", p.Action},
	}
}

// PushBulkColumns is the header of the bulk CSV variant.
var PushBulkColumns = []string{"Aadhaar", "URI", "DocType", "DocName", "DocId", "IssuedOn", "ValidFrom", "ValidTo", "Timestamp", "Action"}

// AppendPushRequest appends a PushUriRequest for p to b. The keyhash
// attribute is KeyHash(apiKey, ts).
func AppendPushRequest(b *bytes.Buffer, orgID, ts, txn, apiKey string, p *PushDetails) {
	b.WriteString(`<PushUriRequest xmlns:ns2="http://tempuri.org/" ver="1.0" ts="`)
	escapeAttr(b, ts)
	b.WriteString(`" txn="`)
	escapeAttr(b, txn)
	b.WriteString(`" orgId="`)
	escapeAttr(b, orgID)
	b.WriteString(`" keyhash="` + KeyHash(apiKey, ts) + `"><UriDetails>`)
	for _, f := range p.fields() {
		b.WriteString("<" + f[0] + ">")
		xml.EscapeText(b, []byte(f[1]))
		b.WriteString("</" + f[0] + ">")
	}
	b.WriteString("</UriDetails></PushUriRequest>")
}

func escapeAttr(b *bytes.Buffer, s string) { xml.EscapeText(b, []byte(s)) }

// PushDetailsFrom reads UriDetails from a parsed Push URI request.
func PushDetailsFrom(r *Request) PushDetails {
	return PushDetails{
		Aadhaar: r.Get("Aadhaar"), URI: r.Get("Uri"), DocType: r.Get("DocType"), DocName: r.Get("DocName"),
		DocID: r.Get("DocId"), IssuedOn: r.Get("IssuedOn"), ValidFrom: r.Get("ValidFrom"), ValidTo: r.Get("ValidTo"),
		Timestamp: r.Get("Timestamp"), Action: strings.ToUpper(r.Get("Action")),
	}
}

// AppendPushResponse appends a PushUriResponse.
func AppendPushResponse(b *bytes.Buffer, status, ts, txn, message string) {
	b.WriteString(xml.Header)
	b.WriteString(`<PushUriResponse><ResponseStatus Status="` + status + `" ts="`)
	escapeAttr(b, ts)
	b.WriteString(`" txn="`)
	escapeAttr(b, txn)
	b.WriteString(`">` + status + `</ResponseStatus><ResponseMessage>`)
	xml.EscapeText(b, []byte(message))
	b.WriteString("</ResponseMessage></PushUriResponse>")
}

// WritePushCSV writes the bulk variant: a header and one row per push.
func WritePushCSV(w io.Writer, ps []PushDetails) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(PushBulkColumns); err != nil {
		return err
	}
	row := make([]string, len(PushBulkColumns))
	for i := range ps {
		for j, f := range ps[i].fields() {
			row[j] = f[1]
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// MaxBulkRows bounds one bulk push.
const MaxBulkRows = 10000

// ReadPushCSV reads the bulk variant. Errors name the line.
func ReadPushCSV(r io.Reader) ([]PushDetails, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(PushBulkColumns)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: bulk CSV header: %v", ErrBadRequest, err)
	}
	// The cell is not quoted back: a file sent without its header row has
	// a citizen's Aadhaar number there.
	for i, c := range PushBulkColumns {
		if !strings.EqualFold(strings.TrimSpace(head[i]), c) {
			return nil, fmt.Errorf("%w: bulk CSV column %d of the first line is not the header %s (the header line is %s)",
				ErrBadRequest, i+1, c, strings.Join(PushBulkColumns, ","))
		}
	}
	var out []PushDetails
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: bulk CSV: %v", ErrBadRequest, err)
		}
		if len(out) >= MaxBulkRows {
			return nil, fmt.Errorf("%w: more than %d rows in one bulk push", ErrBadRequest, MaxBulkRows)
		}
		out = append(out, PushDetails{Aadhaar: rec[0], URI: rec[1], DocType: rec[2], DocName: rec[3], DocID: rec[4],
			IssuedOn: rec[5], ValidFrom: rec[6], ValidTo: rec[7], Timestamp: rec[8], Action: strings.ToUpper(rec[9])})
	}
}

// PushResult is the outcome of one row of a bulk push: the bulk reply is a
// CSV of URI,Action,Status,Message in the order of the request.
type PushResult struct {
	URI, Action, Status, Message string
}

// WritePushResults writes a bulk push reply.
func WritePushResults(w io.Writer, rs []PushResult) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"URI", "Action", "Status", "Message"})
	for _, r := range rs {
		cw.Write([]string{r.URI, r.Action, r.Status, r.Message})
	}
	cw.Flush()
	return cw.Error()
}

// ReadPushResults reads a bulk push reply.
func ReadPushResults(r io.Reader) ([]PushResult, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 4
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("bulk push reply: %w", err)
	}
	if len(recs) == 0 || recs[0][0] != "URI" {
		return nil, fmt.Errorf("bulk push reply: no header")
	}
	out := make([]PushResult, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		out = append(out, PushResult{URI: rec[0], Action: rec[1], Status: rec[2], Message: rec[3]})
	}
	return out, nil
}
