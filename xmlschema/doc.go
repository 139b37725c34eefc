// Package xmlschema holds DigiLocker's wire-level vocabulary: document URIs
// (IssuerID-DocType-DocID), the Certificate XML document model and its
// rendering with etree.
//
// It imports no other issuerkit package, so the API server, the pusher, the
// ingest pipeline and the reference locker can all share it.
package xmlschema
