package netsuitetest

// An independent JWS verifier (RFC 7515 compact serialization, RFC 7518
// algorithms), written with crypto/rsa and crypto/ecdsa only. The client
// signs with golang-jwt; verifying here without it means a misunderstanding
// shared by the client and a JWT library cannot pass both sides.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	_ "crypto/sha256" // SHA-256 for PS256 and ES256
	_ "crypto/sha512" // SHA-384 and SHA-512
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"unicode/utf8"
)

// jwsAlgorithm is one accepted JWS algorithm.
type jwsAlgorithm struct {
	hash  crypto.Hash
	pss   bool   // RSASSA-PSS with MGF1 and salt length = hash length (RFC 7518 §3.5)
	curve string // ECDSA curve name (RFC 7518 §3.4), when not PSS
}

// jwsAlgorithms is NetSuite's allow-list for client-credentials assertions.
// RS256/RS384/RS512 (PKCS#1 v1.5) are deliberately absent: NetSuite answers
// them with an opaque 500 server_error.
var jwsAlgorithms = map[string]jwsAlgorithm{
	"PS256": {hash: crypto.SHA256, pss: true},
	"PS384": {hash: crypto.SHA384, pss: true},
	"PS512": {hash: crypto.SHA512, pss: true},
	"ES256": {hash: crypto.SHA256, curve: "P-256"},
	"ES384": {hash: crypto.SHA384, curve: "P-384"},
	"ES512": {hash: crypto.SHA512, curve: "P-521"},
}

// errUnsupportedAlgorithm is returned by verify for an alg outside the
// allow-list (RS256, HS256, none, anything else).
var errUnsupportedAlgorithm = errors.New("jws: algorithm not accepted")

// compactJWS is a parsed, not yet verified, compact JWS.
type compactJWS struct {
	header    map[string]json.RawMessage
	alg       string
	typ       string
	hasTyp    bool
	kid       string
	payload   []byte
	signature []byte
	// signingInput is the first two segments exactly as received.
	signingInput string
}

// parseCompactJWS splits and decodes a compact JWS. Each segment must be
// unpadded base64url (RFC 7515 §2: padding characters are refused, as are
// line breaks and any character outside the alphabet), the header a JSON
// object without duplicate members, with a string alg, optional string typ
// and kid, and no crit (no extension is understood).
func parseCompactJWS(s string) (*compactJWS, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("a compact JWS has 3 dot-separated segments, got %d", len(parts))
	}
	hdr, err := decodeSegment(parts[0])
	if err != nil {
		return nil, fmt.Errorf("JWS header: %w", err)
	}
	header, err := parseJSONObject(hdr)
	if err != nil {
		return nil, fmt.Errorf("JWS header: %w", err)
	}
	payload, err := decodeSegment(parts[1])
	if err != nil {
		return nil, fmt.Errorf("JWS payload: %w", err)
	}
	sig, err := decodeSegment(parts[2])
	if err != nil {
		return nil, fmt.Errorf("JWS signature: %w", err)
	}
	j := &compactJWS{header: header, payload: payload, signature: sig, signingInput: parts[0] + "." + parts[1]}
	var ok bool
	if j.alg, ok, err = stringMember(header, "alg"); err != nil {
		return nil, fmt.Errorf("JWS header: %w", err)
	} else if !ok || j.alg == "" {
		return nil, errors.New("JWS header: no alg")
	}
	if j.typ, j.hasTyp, err = stringMember(header, "typ"); err != nil {
		return nil, fmt.Errorf("JWS header: %w", err)
	}
	if j.kid, _, err = stringMember(header, "kid"); err != nil {
		return nil, fmt.Errorf("JWS header: %w", err)
	}
	if _, ok := header["crit"]; ok {
		return nil, errors.New("JWS header: crit names extensions this server does not understand")
	}
	return j, nil
}

// verify checks the signature with pub under the header's alg. It returns
// errUnsupportedAlgorithm when alg is not on the allow-list.
func (j *compactJWS) verify(pub crypto.PublicKey) error {
	a, ok := jwsAlgorithms[j.alg]
	if !ok {
		return errUnsupportedAlgorithm
	}
	h := a.hash.New()
	io.WriteString(h, j.signingInput)
	digest := h.Sum(nil)
	if a.pss {
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%s needs an RSA key; the certificate holds %s", j.alg, keyKind(pub))
		}
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash}
		if err := rsa.VerifyPSS(k, a.hash, digest, j.signature, opts); err != nil {
			return fmt.Errorf("%s signature does not verify (RSASSA-PSS, MGF1, salt length = %d bytes, the hash length)", j.alg, a.hash.Size())
		}
		return nil
	}
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || k.Curve == nil {
		return fmt.Errorf("%s needs an EC %s key; the certificate holds %s", j.alg, a.curve, keyKind(pub))
	}
	params := k.Curve.Params()
	if params.Name != a.curve {
		return fmt.Errorf("%s needs an EC %s key; the certificate holds an EC %s key", j.alg, a.curve, params.Name)
	}
	size := (params.BitSize + 7) / 8
	if len(j.signature) != 2*size {
		return fmt.Errorf("%s signature must be R‖S, %d bytes; got %d bytes (DER-encoded?)", j.alg, 2*size, len(j.signature))
	}
	r := new(big.Int).SetBytes(j.signature[:size])
	s := new(big.Int).SetBytes(j.signature[size:])
	if !ecdsa.Verify(k, digest, r, s) {
		return fmt.Errorf("%s signature does not verify", j.alg)
	}
	return nil
}

func keyKind(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "an RSA key"
	case *ecdsa.PublicKey:
		if k.Curve != nil {
			return "an EC " + k.Curve.Params().Name + " key"
		}
	}
	return fmt.Sprintf("a %T key", pub)
}

// decodeSegment decodes one unpadded base64url segment, strictly.
func decodeSegment(seg string) ([]byte, error) {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '=':
			return nil, errors.New("base64url padding '=' is not allowed in a JWS")
		default:
			return nil, fmt.Errorf("byte %#02x at offset %d is not base64url", c, i)
		}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return nil, errors.New("not valid unpadded base64url")
	}
	return b, nil
}

// parseJSONObject parses a JSON object (UTF-8, no duplicate member names,
// nothing after it) into its members.
func parseJSONObject(b []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, errors.New("not a valid JSON object")
		}
		name, ok := t.(string)
		if !ok {
			return nil, errors.New("not a valid JSON object")
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("member %q appears twice", name)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errors.New("not a valid JSON object")
		}
		m[name] = v
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, errors.New("not a valid JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}

// stringMember returns the string member name of m, whether it is present,
// and an error when it is present but not a string (null included).
func stringMember(m map[string]json.RawMessage, name string) (string, bool, error) {
	raw, ok := m[name]
	if !ok {
		return "", false, nil
	}
	var s string
	if isJSONNull(raw) || json.Unmarshal(raw, &s) != nil {
		return "", true, fmt.Errorf("%s is not a string", name)
	}
	return s, true, nil
}

func isJSONNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}
