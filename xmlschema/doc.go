// Package xmlschema holds DigiLocker's wire-level vocabulary:
//
//   - document URIs (IssuerID-DocType-DocID): parsing, formatting and the
//     charset of each part (uri.go);
//   - the Certificate XML document model and its rendering with etree
//     (certificate.go), and its JSON mapping (json.go);
//   - the wire messages: Pull URI and Pull Doc requests and their parsing
//     (message.go, with a one-pass scanner for the plain shapes in plain.go
//     that falls back to encoding/xml for anything else), the Push URI
//     request and reply, single and bulk CSV (push.go), and the
//     x-digilocker-hmac and keyhash authentication shared by the API server,
//     the pusher and the reference locker (wire.go).
//
// It imports no other issuerkit package, so the API server, the pusher, the
// ingest pipeline and the reference locker can all share it.
package xmlschema
