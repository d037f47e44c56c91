package netsuite

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	_ "crypto/sha256" // SHA-256 for PS256/ES256
	_ "crypto/sha512" // SHA-384 and SHA-512

	"github.com/golang-jwt/jwt/v5"
)

// signerMethod is a golang-jwt signing method that signs with any
// crypto.Signer, so that a key held by a KMS or HSM works as well as an
// in-memory *rsa.PrivateKey or *ecdsa.PrivateKey. PS* use RSASSA-PSS with
// the salt length equal to the hash length (RFC 7518 §3.5); ES* produce the
// fixed-size R‖S form JWS requires (RFC 7518 §3.4), not ASN.1 DER.
type signerMethod struct {
	alg     string
	hash    crypto.Hash
	ecBytes int // size of R and S for ES*; 0 for PS*
}

// signingMethods are the algorithms NetSuite accepts.
var signingMethods = map[string]*signerMethod{
	"PS256": {"PS256", crypto.SHA256, 0},
	"PS384": {"PS384", crypto.SHA384, 0},
	"PS512": {"PS512", crypto.SHA512, 0},
	"ES256": {"ES256", crypto.SHA256, 32},
	"ES384": {"ES384", crypto.SHA384, 48},
	"ES512": {"ES512", crypto.SHA512, 66},
}

// Alg implements jwt.SigningMethod.
func (m *signerMethod) Alg() string { return m.alg }

// Verify implements jwt.SigningMethod; this method only signs.
func (m *signerMethod) Verify(string, []byte, any) error {
	return errors.New("netsuite: client assertion methods only sign")
}

// Sign implements jwt.SigningMethod. key must be a crypto.Signer.
func (m *signerMethod) Sign(signingString string, key any) ([]byte, error) {
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("netsuite: %T is not a crypto.Signer", key)
	}
	h := m.hash.New()
	h.Write([]byte(signingString))
	digest := h.Sum(nil)
	if m.ecBytes == 0 {
		return signer.Sign(rand.Reader, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: m.hash})
	}
	der, err := signer.Sign(rand.Reader, digest, m.hash)
	if err != nil {
		return nil, err
	}
	return derToRS(der, m.ecBytes)
}

// derToRS converts an ASN.1 ECDSA signature to the fixed-size R‖S form.
func derToRS(der []byte, size int) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) > 0 || sig.R == nil || sig.S == nil || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 {
		return nil, errors.New("netsuite: the signer returned a malformed ECDSA signature")
	}
	if sig.R.BitLen() > 8*size || sig.S.BitLen() > 8*size {
		return nil, errors.New("netsuite: the signer's ECDSA signature does not fit the algorithm's curve")
	}
	out := make([]byte, 2*size)
	sig.R.FillBytes(out[:size])
	sig.S.FillBytes(out[size:])
	return out, nil
}

var _ jwt.SigningMethod = (*signerMethod)(nil)
