package signer

import (
	"crypto"
	"crypto/ecdsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// XML-DSig (RFC 4051/6931) carries an ECDSA signature as r||s, each padded
// to the curve's byte size; Go's crypto (and so goxmldsig) speaks ASN.1 DER.
// rawECDSASigner converts on signing; derFromRaw converts on verifying.

type ecdsaSig struct{ R, S *big.Int }

// rawECDSASigner signs with an ECDSA key and returns r||s.
type rawECDSASigner struct {
	crypto.Signer
	size int // bytes per coordinate
}

func newRawECDSASigner(s crypto.Signer) (*rawECDSASigner, error) {
	pub, ok := s.Public().(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("not an ECDSA key")
	}
	return &rawECDSASigner{Signer: s, size: (pub.Curve.Params().BitSize + 7) / 8}, nil
}

func (r *rawECDSASigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	der, err := r.Signer.Sign(rand, digest, opts)
	if err != nil {
		return nil, err
	}
	var sig ecdsaSig
	if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("ecdsa signature is not DER: %v", err)
	}
	out := make([]byte, 2*r.size)
	sig.R.FillBytes(out[:r.size])
	sig.S.FillBytes(out[r.size:])
	return out, nil
}

// derFromRaw converts an r||s signature of a curve with size-byte
// coordinates to DER. Input that is not r||s is returned unchanged, so a DER
// signature (which some producers emit) is accepted as it is.
func derFromRaw(sig []byte, size int) []byte {
	if len(sig) != 2*size {
		return sig
	}
	der, err := asn1.Marshal(ecdsaSig{new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])})
	if err != nil {
		return sig
	}
	return der
}
