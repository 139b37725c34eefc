package locker

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/signer"
)

// Headers of the API Setu certificate API.
const (
	SetuClientHeader = "X-APISETU-CLIENTID"
	SetuKeyHeader    = "X-APISETU-APIKEY"
)

// SetuRead is one read of a document through an issuer's API Setu
// certificate API on a citizen's consent.
type SetuRead struct {
	Setu     APISetu
	Issuer   *Issuer
	DocType  string
	URI      string
	Params   map[string]string // the search parameters the document was pulled with
	FullName string
	DOB      string
	User     consent.User
	Purpose  string
	Until    time.Time // the consent's end
}

// NewConsent is the consent artifact's body for a read at now: a new
// consentId, the locker's client id at the issuer as consumer, the issuer
// as provider, the URI as data, one use within a day.
func (r SetuRead) NewConsent(now time.Time) consent.Consent {
	return consent.Consent{
		ConsentID:    consent.NewID(),
		Timestamp:    consent.FormatTime(now),
		DataConsumer: consent.Party{ID: r.Setu.ClientID},
		DataProvider: consent.Party{ID: r.Issuer.ID},
		Purpose:      consent.Purpose{Description: r.Purpose},
		User:         r.User,
		Data:         consent.Party{ID: r.URI},
		Permission: consent.Permission{Access: "VIEW",
			DateRange: consent.DateRange{From: consent.FormatTime(now), To: consent.FormatTime(r.Until)},
			Frequency: consent.Frequency{Unit: "DAY", Value: 1, Repeats: 1}},
	}
}

// ReadSetu signs a consent artifact with the consent manager's key and asks
// the issuer's certificate API for the document's signed XML, which it
// verifies against the issuer's certificate.
func ReadSetu(ctx context.Context, client *http.Client, cm crypto.Signer, r SetuRead, now time.Time) ([]byte, error) {
	art, err := consent.Sign(cm, r.NewConsent(now))
	if err != nil {
		return nil, fmt.Errorf("sign the consent artifact: %w", err)
	}
	params := map[string]string{"FullName": r.FullName, "DOB": r.DOB}
	for k, v := range r.Params {
		params[k] = v
	}
	body, err := json.Marshal(map[string]any{"txnId": consent.NewID(), "format": "xml", "certificateParameters": params, "consentArtifact": art})
	if err != nil {
		return nil, err
	}
	endpoint := strings.TrimSuffix(r.Setu.URL, "/") + "/apisetu/" + strings.ToLower(r.DocType) + "/certificate"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SetuClientHeader, r.Setu.ClientID)
	req.Header.Set(SetuKeyHeader, r.Setu.APIKey)
	resp, err := httpserve.WithoutRedirects(client).Do(req)
	if err != nil {
		return nil, fmt.Errorf("issuer %s certificate API unreachable: %w", r.Issuer.ID, err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxPullReply))
	if err != nil {
		return nil, fmt.Errorf("issuer %s certificate API: reading the reply: %w", r.Issuer.ID, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"errorDescription"`
		}
		json.Unmarshal(reply, &e)
		if resp.StatusCode == http.StatusNotFound && e.Error == "record_not_found" {
			return nil, fmt.Errorf("%w (issuer %s certificate API)", ErrNoRecord, r.Issuer.ID)
		}
		return nil, fmt.Errorf("issuer %s certificate API answered HTTP %d %s %s", r.Issuer.ID, resp.StatusCode, clipTS(e.Error), clipTS(e.Description))
	}
	v := signer.Verifier{Trusted: []*x509.Certificate{r.Issuer.Cert}}
	if _, err := v.Verify(reply); err != nil {
		return nil, fmt.Errorf("document %s from issuer %s fails verification: %w", r.URI, r.Issuer.ID, err)
	}
	signed, err := signedOnly(reply)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("document %s from issuer %s", r.URI, r.Issuer.ID), err)
	}
	return signed, nil
}
