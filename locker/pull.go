package locker

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// maxPullReply bounds an issuer's Pull Doc reply.
const maxPullReply = 32 << 20

// ErrPending is wrapped by Pull's error when the issuer knows the document
// but has not issued it yet (Status 9): ask again later.
var ErrPending = errors.New("document not issued yet")

// Pull fetches uri from the issuer's Pull Doc API, signed with the issuer's
// API key, and verifies the document's signature against the issuer's
// registered certificate. It returns the signed XML and the subject of the
// certificate that verified it.
func Pull(ctx context.Context, client *http.Client, is *Issuer, uri string) ([]byte, string, error) {
	var b bytes.Buffer
	ts := time.Now().Format(time.RFC3339)
	fmt.Fprintf(&b, `<PullDocRequest xmlns:ns2="http://tempuri.org/" ver="1.0" ts="%s" txn="%d" orgId="in.gov.issuerkit-locker" format="xml" keyhash="%s"><DocDetails><URI>`,
		ts, time.Now().UnixNano(), xmlschema.KeyHash(is.APIKey, ts))
	xml.EscapeText(&b, []byte(uri))
	b.WriteString(`</URI></DocDetails></PullDocRequest>`)
	endpoint := is.PullURL
	if !strings.HasSuffix(endpoint, "/pulldoc") {
		endpoint += "/digilocker/pulldoc"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(b.Bytes()))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set(xmlschema.HMACHeader, xmlschema.SignBody([]byte(is.APIKey), b.Bytes()))
	// The request carries the issuer's HMAC: a redirect is an error, not
	// a reason to send it to another host.
	resp, err := httpserve.WithoutRedirects(client).Do(req)
	if errors.Is(err, httpserve.ErrRedirect) {
		return nil, "", fmt.Errorf("issuer %s: %w", is.ID, err)
	}
	if err != nil {
		return nil, "", fmt.Errorf("issuer %s unreachable: %w", is.ID, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPullReply))
	if err != nil {
		return nil, "", fmt.Errorf("issuer %s: reading the reply: %w", is.ID, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("issuer %s answered HTTP %d", is.ID, resp.StatusCode)
	}
	msg, err := xmlschema.ParseResponse(body)
	if err != nil {
		return nil, "", fmt.Errorf("issuer %s: %w", is.ID, err)
	}
	switch msg.Status {
	case "1":
	case "9":
		// The issuer's own text goes on to citizens' screens and logs: no
		// more of an Aadhaar number than its last four digits.
		return nil, "", fmt.Errorf("%w: issuer %s has not issued %s yet: %s", ErrPending, is.ID, uri, aadhaar.Redact(msg.Message))
	default:
		return nil, "", fmt.Errorf("issuer %s has no document %s (Status %s)", is.ID, uri, msg.Status)
	}
	doc, err := base64.StdEncoding.DecodeString(msg.Get("DataContent"))
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
