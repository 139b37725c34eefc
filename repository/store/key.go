package store

import (
	"strconv"

	"github.com/issuerkit/issuerkit/xmlschema"
)

// ObjectKey is the CONTRACT key of one document version:
// {IssuerID}/{DocType}/{DocID}/v{N}.xml, N from 1.
func ObjectKey(u xmlschema.URI, version int) string {
	return u.IssuerID + "/" + u.DocType + "/" + u.DocID + "/v" + strconv.Itoa(version) + ".xml"
}
