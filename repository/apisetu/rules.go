package apisetu

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// The rules the certificate API adds to those of package consent; a
// refused consent's audit entry names its rule.
const (
	RuleMissing  consent.Rule = "missing"         // no consent artifact from a client that needs one
	RuleManager  consent.Rule = "consent_manager" // no consent manager is trusted
	RuleConsumer consent.Rule = "consumer"        // dataConsumer.id is not the client
	RuleProvider consent.Rule = "provider"        // dataProvider.id is not this issuer
	RuleData     consent.Rule = "data"            // data.id is neither the document's URI nor its DocType
	RuleUser     consent.Rule = "user"            // the user is not the document's holder
	RuleRepeats  consent.Rule = "repeats"         // the frequency's repeats are used up
)

// grant is a consent that passed the rules that need no document.
type grant struct {
	c     consent.Consent
	since time.Time // start of the frequency window
}

func refuse(r consent.Rule, detail string) *consent.RuleError {
	return &consent.RuleError{Rule: r, Detail: detail}
}

// consentID reads the consentId of a consent before its signature is
// checked. It is "" and false when the consent is not a JSON object with
// a string consentId.
func consentID(raw json.RawMessage) (id string, ok bool) {
	var c struct {
		ConsentID json.RawMessage `json:"consentId"`
	}
	if json.Unmarshal(raw, &c) != nil || c.ConsentID == nil {
		return "", false
	}
	if json.Unmarshal(c.ConsentID, &id) != nil {
		// Not a string (a number, say): not in UUID format either.
		return string(c.ConsentID), true
	}
	return id, true
}

// unverified reads the consentId and data.id of a consent whose signature
// did not hold (or was not checked), for its audit entry.
func unverified(raw json.RawMessage) (id, data string) {
	var c struct {
		ConsentID string `json:"consentId"`
		Data      struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	json.Unmarshal(raw, &c)
	return c.ConsentID, c.Data.ID
}

// checkArtifact applies every rule that needs no document: a trusted
// consent manager's signature over the canonical consent, the time rules,
// the consumer, the provider, the data's DocType and the frequency. A
// consent refused after its signature held comes back too, beside the
// rule, so that its audit entry has its purpose; only a nil rule grants.
func (s *Server) checkArtifact(ctx context.Context, client string, prof xmlschema.PullProfile, art artifactRef, now time.Time) (*grant, *consent.RuleError, error) {
	keys, sum, err := s.clients.trusted(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(keys) == 0 {
		return nil, refuse(RuleManager, "no consent manager is trusted (issuerkit consent trust)"), nil
	}
	c, rerr := s.artifacts.verify(art, keys, sum)
	if rerr != nil {
		re := asRule(rerr)
		if re.Rule == consent.RuleSignature {
			re.Detail = "the signature verifies with none of the trusted consent managers' keys"
		}
		return nil, re, nil
	}
	// From here a refusal comes with the verified consent (no since), for
	// its audit entry's purpose.
	verified := &grant{c: c}
	if err := c.CheckTime(now); err != nil {
		return verified, asRule(err), nil
	}
	switch {
	case c.DataConsumer.ID != client:
		return verified, refuse(RuleConsumer, "dataConsumer.id is not the client "+client), nil
	case c.DataProvider.ID != s.cfg.IssuerID:
		return verified, refuse(RuleProvider, "dataProvider.id is not the issuer "+s.cfg.IssuerID), nil
	case !dataMatchesDocType(c.Data.ID, prof.DocType, s.cfg.IssuerID):
		return verified, refuse(RuleData, "data.id is neither a URI of "+prof.DocType+" nor the DocType"), nil
	}
	since, err := c.Permission.Frequency.Since(now)
	if err != nil {
		return verified, asRule(err), nil
	}
	return &grant{c: c, since: since}, nil, nil
}

// dataMatchesDocType: data.id is the DocType, or a URI of this issuer and
// DocType (which must then be the very document: checkHolder).
func dataMatchesDocType(id, doctype, issuer string) bool {
	if strings.EqualFold(id, doctype) {
		return true
	}
	u, err := xmlschema.ParseURI(id)
	return err == nil && u.IssuerID == issuer && strings.EqualFold(u.DocType, doctype)
}

// checkHolder applies the rules that need the document: data.id, when a
// URI, is its URI; the consent's user is its holder (AADHAAR through the
// catalog's keyed hash, MOBILE against the signed document's phone).
func (s *Server) checkHolder(g *grant, cert *api.Certificate) *consent.RuleError {
	if !strings.EqualFold(g.c.Data.ID, cert.Doc.DocType) && g.c.Data.ID != cert.Doc.URI {
		return refuse(RuleData, "data.id is another document's URI")
	}
	u := g.c.User
	switch strings.ToUpper(u.IDType) {
	case consent.IDAadhaar:
		n := strings.TrimSpace(u.IDNumber)
		if cert.Doc.UIDHash == "" || len(n) != 12 || s.cfg.Keyring.LookupHash(n) != cert.Doc.UIDHash {
			return refuse(RuleUser, "the AADHAAR user is not the document's holder")
		}
	case consent.IDMobile:
		m := mobileDigits(u.Mobile)
		if m == "" {
			m = mobileDigits(u.IDNumber)
		}
		if m == "" || m != mobileDigits(cert.Phone()) {
			return refuse(RuleUser, "the MOBILE user is not the document's holder")
		}
	default:
		return refuse(RuleUser, "user.idType is neither AADHAAR nor MOBILE")
	}
	return nil
}

// mobileDigits is the 10-digit Indian mobile number in s (a +91 or 0
// prefix and separators dropped), or "".
func mobileDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if len(d) < 10 {
		return ""
	}
	return d[len(d)-10:]
}

func asRule(err error) *consent.RuleError {
	if re, ok := err.(*consent.RuleError); ok {
		cp := *re
		if cp.Rule == consent.RuleMalformed {
			cp.Detail = "the consent is not valid canonical JSON with the schema's members" // the detail could quote the artifact
		}
		return &cp
	}
	return refuse(consent.RuleMalformed, "the consent could not be read")
}
