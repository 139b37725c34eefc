// Package xmlschema holds DigiLocker's wire-level vocabulary:
//
//   - document URIs (IssuerID-DocType-DocID): parsing, formatting and the
//     charset of each part (uri.go);
//   - the Certificate XML document model (certificate.go): written
//     directly, with the exclusive canonical form a signature digests, by
//     Encode (encode.go), which ingest uses; rendered as an etree tree by
//     Render, the reference Encode is tested against and what checks use;
//     and its JSON mapping (json.go);
//   - pull policies: the holder fields of a Pull URI or Pull Doc request an
//     issuer requires and matches (pullpolicy.go), and release times
//     (when.go);
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
