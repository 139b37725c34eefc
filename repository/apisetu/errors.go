package apisetu

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// apiError is one of API Setu's error pairs (the DESIGN CONTRACT): the
// HTTP status, the error code and its fixed description.
type apiError struct {
	status      int
	code        string
	description string
}

// The error pairs, exactly as API Setu's publisher APIs answer.
var (
	errMissingParameter = apiError{http.StatusBadRequest, "missing_parameter", "Please provide all mandatory parameters"}
	errInvalidParameter = apiError{http.StatusBadRequest, "invalid_parameter", "Bad request"}
	errInvalidFormat    = apiError{http.StatusBadRequest, "invalid_format", "The format parameter is invalid"}
	errInvalidTxnID     = apiError{http.StatusBadRequest, "invalid_txnid", "The txnId parameter must be in UUID format"}
	errInvalidConsentID = apiError{http.StatusBadRequest, "invalid_consentid", "The consentId parameter must be in UUID format"}
	errAuthentication   = apiError{http.StatusUnauthorized, "invalid_authentication", "Authentication failed"}
	errAuthorization    = apiError{http.StatusUnauthorized, "invalid_authorization", "You are not authorized to use this API"}
	errRecordNotFound   = apiError{http.StatusNotFound, "record_not_found", "No record found"}
	errURLNotFound      = apiError{http.StatusNotFound, "url_not_found", "Your API url or path is incorrect"}
	errInternal         = apiError{http.StatusInternalServerError, "internal_server_error", "Internal server error"}
	// A client over its rate: API Setu's publisher 503 pair (its
	// descriptions list 400, 401, 404, 500, 502, 503 and 504, no 429),
	// with Retry-After.
	errRateLimited = apiError{http.StatusServiceUnavailable, "service_unavailable", "Publisher service is temporarily unavailable"}
	// Beyond API Setu's pairs: a body over MaxBody is a bad request
	// answered 413.
	errTooLarge = apiError{http.StatusRequestEntityTooLarge, "invalid_parameter", "Bad request"}
)

// errorBody is the JSON of an error reply.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"errorDescription"`
}

func writeError(w http.ResponseWriter, e apiError) {
	b, _ := json.Marshal(errorBody{Error: e.code, ErrorDescription: e.description})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	if e == errRateLimited {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(e.status)
	w.Write(b)
}
