package pusher

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/issuerkit/issuerkit/repository"
)

// The DigiLocker authorized-partner API answers a push it refuses with an
// HTTP 400 and a JSON body, {"error": CODE, "error_description": TEXT}, and
// a push it takes with HTTP 200; the issuer push API of the specs answers
// with a PushUriResponse (XML) either way. Both forms are understood.

// jsonReply is a gateway's JSON reply.
type jsonReply struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// parseJSONReply reads reply as a JSON object; ok is false when it is not
// one.
func parseJSONReply(reply []byte) (r jsonReply, ok bool) {
	b := bytes.TrimSpace(reply)
	if len(b) == 0 || b[0] != '{' {
		return r, false
	}
	if json.Unmarshal(b, &r) != nil {
		return r, false
	}
	return r, true
}

// text is what the reply says: the description, else the code.
func (r jsonReply) text() string {
	if d := strings.TrimSpace(r.Description); d != "" {
		return d
	}
	return strings.TrimSpace(r.Error)
}

// classifyJSON maps a JSON reply to an outcome: an error refuses (with the
// PushUriResponse refusals' rules: "URI already exists in this account" is
// success for an A or U), anything else accepts.
func classifyJSON(action string, r jsonReply) result {
	if r.Error == "" && r.Description == "" {
		return result{kind: repository.Pushed}
	}
	return classify(action, "0", r.text())
}
