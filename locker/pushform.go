package locker

import (
	"bytes"
	"net/http"

	"github.com/issuerkit/issuerkit/xmlschema"
)

// The reference locker answers a Push URI request in one of two forms:
// the PushUriResponse of the issuer push API (the default), or, with
// Config.JSONReplies, as the DigiLocker authorized-partner API does —
// HTTP 200 with {"status": "success"} for a push it takes, HTTP 400 with
// {"error", "error_description"} for one it refuses — so that an issuer
// can test its pusher against either.

// pushPaths are the routes of the single and the bulk push.
func (c Config) pushPaths() (single, bulk string) {
	single, bulk = c.PushPath, c.PushBulkPath
	if single == "" {
		single = xmlschema.PushPath
	}
	if bulk == "" {
		bulk = xmlschema.PushBulkPath
	}
	return single, bulk
}

// pushReply writes the answer to one push.
func (s *Server) pushReply(w http.ResponseWriter, status, ts, txn, message string) {
	if s.cfg.JSONReplies {
		if status == "1" {
			writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": message})
		return
	}
	var reply bytes.Buffer
	xmlschema.AppendPushResponse(&reply, status, ts, txn, message)
	writeXML(w, reply.Bytes())
}
