package locker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// maxPullReply bounds an issuer's Pull Doc reply.
const maxPullReply = 32 << 20

// ErrPending is wrapped by Pull's error when the issuer knows the document
// but has not issued it yet (Status 9): ask again later.
var ErrPending = errors.New("document not issued yet")

// Pull fetches uri from the issuer's Pull Doc API for the citizen whose
// DigiLockerId is dlID (sent as DigiLocker sends it, a default parameter
// since the specification's v1.9), signed with the issuer's API key, and
// verifies the document's signature against the issuer's
// registered certificate. It returns the signed XML and the subject of the
// certificate that verified it.
func Pull(ctx context.Context, client *http.Client, is *Issuer, uri, dlID string) ([]byte, string, error) {
	msg, err := call(ctx, client, is, "/digilocker/pulldoc", pullDocRequest(is, uri, dlID, "xml"))
	if errors.Is(err, ErrNoRecord) {
		return nil, "", fmt.Errorf("issuer %s has no document %s: %w", is.ID, uri, err)
	}
	if err != nil {
		return nil, "", err
	}
	return verifyData(is, uri, msg.Get("DataContent"))
}
