package locker

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// LockerOrgID is the orgId the reference locker sends in its requests.
const LockerOrgID = "in.gov.issuerkit-locker"

// ErrNoRecord is wrapped when the issuer answers Status 0: no document
// matches (or the holder details do not).
var ErrNoRecord = errors.New("the issuer has no matching record")

// SearchRequest is a Pull URI by search as DigiLocker sends it.
type SearchRequest struct {
	DocType      string
	DigiLockerID string
	UIDMD5       string // MD5 hex of the linked Aadhaar; empty: not sent
	FullName     string
	DOB          string // DD-MM-YYYY
	Params       []xmlschema.Field
}

// SearchResult is a Status 1 answer: the URI and the verified document.
type SearchResult struct {
	URI    string
	Signed []byte // what the signature covers
	Cert   string // subject of the certificate that verified it
}

// PullURIRequest returns the body of a Pull URI request for r, signed
// with apiKey through keyhash (the HMAC header is the caller's).
func PullURIRequest(r SearchRequest, apiKey string, now time.Time) []byte {
	ts := now.In(xmlschema.IST).Format(time.RFC3339)
	req := xmlschema.Request{Kind: "PullURIRequest", Ver: "1.0", TS: ts, Txn: strconv.FormatInt(now.UnixNano(), 10),
		OrgID: LockerOrgID, Format: "xml", KeyHash: xmlschema.KeyHash(apiKey, ts),
		Details: []xmlschema.Field{{Name: "DocType", Value: r.DocType}, {Name: "DigiLockerId", Value: r.DigiLockerID}}}
	if r.UIDMD5 != "" {
		req.Details = append(req.Details, xmlschema.Field{Name: "UID", Value: r.UIDMD5})
	}
	req.Details = append(req.Details, xmlschema.Field{Name: "FullName", Value: r.FullName}, xmlschema.Field{Name: "DOB", Value: r.DOB})
	req.Details = append(req.Details, r.Params...)
	return req.AppendXML(nil)
}

// call POSTs a signed wire request to the issuer's route and parses the
// reply.
func call(ctx context.Context, client *http.Client, is *Issuer, route string, body []byte) (*xmlschema.Response, error) {
	// A pull URL may name the Pull Doc route itself; the others sit beside it.
	endpoint := is.PullURL
	if base, ok := strings.CutSuffix(endpoint, "/pulldoc"); ok {
		endpoint = base + route[strings.LastIndex(route, "/"):]
	} else {
		endpoint += route
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set(xmlschema.HMACHeader, xmlschema.SignBody([]byte(is.APIKey), body))
	// The request carries the issuer's HMAC: a redirect is an error, not
	// a reason to send it to another host.
	resp, err := httpserve.WithoutRedirects(client).Do(req)
	if errors.Is(err, httpserve.ErrRedirect) {
		return nil, fmt.Errorf("issuer %s: %w", is.ID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("issuer %s unreachable: %w", is.ID, err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxPullReply))
	if err != nil {
		return nil, fmt.Errorf("issuer %s: reading the reply: %w", is.ID, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("issuer %s answered HTTP %d", is.ID, resp.StatusCode)
	}
	msg, err := xmlschema.ParseResponse(reply)
	if err != nil {
		return nil, fmt.Errorf("issuer %s: %w", is.ID, err)
	}
	switch msg.Status {
	case "1":
		return msg, nil
	case "9":
		// The issuer's own text goes on to citizens' screens and logs: no
		// more of an Aadhaar number than its last four digits.
		return nil, fmt.Errorf("%w: issuer %s: %s", ErrPending, is.ID, aadhaar.Redact(msg.Message))
	default:
		return nil, fmt.Errorf("%w (issuer %s, Status %s)", ErrNoRecord, is.ID, msg.Status)
	}
}

// Search sends a Pull URI request by search parameters and verifies the
// document the issuer returns.
func Search(ctx context.Context, client *http.Client, is *Issuer, r SearchRequest, now time.Time) (SearchResult, error) {
	msg, err := call(ctx, client, is, "/digilocker/pulluri", PullURIRequest(r, is.APIKey, now))
	if err != nil {
		return SearchResult{}, err
	}
	uri := msg.Get("URI")
	u, err := xmlschema.ParseURI(uri)
	if err != nil || u.IssuerID != is.ID || u.DocType != r.DocType {
		return SearchResult{}, fmt.Errorf("issuer %s answered a URI %q that is not one of its %s documents", is.ID, clipTS(uri), r.DocType)
	}
	signed, cert, err := verifyData(is, uri, msg.Get("DataContent"))
	if err != nil {
		return SearchResult{}, err
	}
	return SearchResult{URI: uri, Signed: signed, Cert: cert}, nil
}

// verifyData decodes a DataContent and verifies it against the issuer's
// certificate; it returns what the signature covers.
func verifyData(is *Issuer, uri, data string) ([]byte, string, error) {
	doc, err := base64.StdEncoding.DecodeString(data)
	if err != nil || len(doc) == 0 {
		return nil, "", fmt.Errorf("issuer %s: DataContent is not a base64 document", is.ID)
	}
	v := signer.Verifier{Trusted: []*x509.Certificate{is.Cert}}
	ok, err := v.Verify(doc)
	if err != nil {
		return nil, "", fmt.Errorf("document %s from issuer %s fails verification: %w", uri, is.ID, err)
	}
	// What the citizen gets is what the signature covers, nothing more.
	signed, err := signedOnly(doc)
	if err != nil {
		return nil, "", fmt.Errorf("document %s from issuer %s fails verification: %w", uri, is.ID, err)
	}
	return signed, ok.Cert.Subject.String(), nil
}

// PullPDF fetches uri's signed XML and PDF in one Pull Doc (format both),
// verifying the XML; the PDF is the issuer's printable copy of it.
func PullPDF(ctx context.Context, client *http.Client, is *Issuer, uri, dlID string) (signed, pdf []byte, cert string, err error) {
	msg, err := call(ctx, client, is, "/digilocker/pulldoc", pullDocRequest(is, uri, dlID, "both"))
	if err != nil {
		return nil, nil, "", err
	}
	if signed, cert, err = verifyData(is, uri, msg.Get("DataContent")); err != nil {
		return nil, nil, "", err
	}
	pdf, err = base64.StdEncoding.DecodeString(msg.Get("DocContent"))
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		return nil, nil, "", fmt.Errorf("issuer %s: DocContent is not a base64 PDF", is.ID)
	}
	return signed, pdf, cert, nil
}

// pullDocRequest is a Pull Doc request as DigiLocker sends it: ts in IST
// (+05:30), the URI and the citizen's DigiLockerId.
func pullDocRequest(is *Issuer, uri, dlID, format string) []byte {
	now := time.Now()
	ts := now.In(xmlschema.IST).Format(time.RFC3339)
	req := xmlschema.Request{Kind: "PullDocRequest", Ver: "1.0", TS: ts, Txn: strconv.FormatInt(now.UnixNano(), 10),
		OrgID: LockerOrgID, Format: format, KeyHash: xmlschema.KeyHash(is.APIKey, ts),
		Details: []xmlschema.Field{{Name: "URI", Value: uri}, {Name: "DigiLockerId", Value: dlID}}}
	return req.AppendXML(nil)
}

// issueDate reads the Certificate's issueDate (DD-MM-YYYY) from a signed
// document, empty when it has none.
func issueDate(signed []byte) string {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(signed); err != nil || doc.Root() == nil {
		return ""
	}
	return doc.Root().SelectAttrValue("issueDate", "")
}

// certificateJSON is the Certificate as JSON (xmlschema's mapping, the one
// `issuerkit get --format json` prints).
func certificateJSON(signed []byte) (json.RawMessage, error) {
	b, err := xmlschema.MarshalJSONDocument(signed)
	return json.RawMessage(b), err
}
