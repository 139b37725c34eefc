// Package signer signs and verifies DigiLocker documents with enveloped
// XML-DSig: exclusive C14N for SignedInfo and the reference, the enveloped
// transform, one Reference URI="" covering the whole Certificate, the
// signature as the root's last child and the X509 chain (leaf first) in
// KeyInfo (digilocker-spec.md §7).
//
// Keys are used through crypto.Signer, so the rest of issuerkit does not know
// where a key lives. The package imports no other issuerkit package.
package signer
