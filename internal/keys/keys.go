// Package keys loads and validates the private key and certificate used to
// sign the JWT client assertion of NetSuite's OAuth 2.0 client credentials
// (machine-to-machine) flow.
//
// Keys arrive as PKCS#12 (.pfx/.p12, see [LoadPKCS12]) or PEM (see
// [LoadPEM]). [Check] refuses, before any network call, every key,
// algorithm and certificate that NetSuite would refuse, with a message that
// says what NetSuite accepts: RSA keys of 3072 or 4096 bits, or EC keys on
// P-256, P-384 or P-521, signing with PS256, PS384, PS512, ES256, ES384 or
// ES512.
//
// Every error returned by this package starts with "netsuite: ", never holds
// a password or key material, and matches (with [errors.Is]) one of the
// sentinel errors below where one applies.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Alg names accepted by NetSuite for the client assertion's "alg" header.
const (
	// PS256 is RSASSA-PSS with SHA-256 (RSA keys).
	PS256 = "PS256"
	// PS384 is RSASSA-PSS with SHA-384 (RSA keys).
	PS384 = "PS384"
	// PS512 is RSASSA-PSS with SHA-512 (RSA keys).
	PS512 = "PS512"
	// ES256 is ECDSA on P-256 with SHA-256.
	ES256 = "ES256"
	// ES384 is ECDSA on P-384 with SHA-384.
	ES384 = "ES384"
	// ES512 is ECDSA on P-521 with SHA-512.
	ES512 = "ES512"
)

// acceptedAlgs lists the algorithms NetSuite accepts, in a stable order for messages.
var acceptedAlgs = []string{PS256, PS384, PS512, ES256, ES384, ES512}

// acceptedKeys is the phrase every key refusal ends with.
const acceptedKeys = "NetSuite accepts RSA keys of 3072 or 4096 bits, or EC keys on P-256, P-384 or P-521"

// Sentinel errors. Errors returned by this package wrap one of these where
// one applies, so callers can branch with [errors.Is]; the message of the
// returned error says more.
var (
	// ErrNotPKCS12 means the data given to LoadPKCS12 is not a PKCS#12 file.
	ErrNotPKCS12 = errors.New("netsuite: not a PKCS#12 (.pfx/.p12) file")
	// ErrNotPEM means the data given to LoadPEM holds no PEM block.
	ErrNotPEM = errors.New("netsuite: not PEM data")
	// ErrWrongPassword means a PKCS#12 file or an encrypted PEM key could not
	// be opened with the given password (MAC or decryption failure).
	ErrWrongPassword = errors.New("netsuite: wrong password")
	// ErrUnsupportedKey means the key (or a certificate's public key) is of a
	// type, size or curve that NetSuite does not accept or that cannot be read.
	ErrUnsupportedKey = errors.New("netsuite: unsupported key")
	// ErrUnsupportedAlg means the JWT signing algorithm is not accepted by
	// NetSuite or does not fit the key.
	ErrUnsupportedAlg = errors.New("netsuite: unsupported signing algorithm")
	// ErrKeyMismatch means the certificate's public key is not the public
	// half of the private key.
	ErrKeyMismatch = errors.New("netsuite: certificate does not match the private key")
	// ErrCertificateExpired means the certificate's NotAfter is in the past.
	ErrCertificateExpired = errors.New("netsuite: certificate expired")
	// ErrCertificateNotYetValid means the certificate's NotBefore is in the future.
	ErrCertificateNotYetValid = errors.New("netsuite: certificate not yet valid")
	// ErrNoPrivateKey means no private key was found or given.
	ErrNoPrivateKey = errors.New("netsuite: no private key")
	// ErrEncryptedKey means the private key is encrypted and could not be
	// decrypted here (no password given, or an encryption scheme this
	// package does not implement).
	ErrEncryptedKey = errors.New("netsuite: encrypted private key")
)

// maxCertValidity is NetSuite's two-year limit on a certificate's validity
// period, plus one day of slack for the usual off-by-a-few-hours issuance.
const maxCertValidity = (730 + 1) * 24 * time.Hour

// DefaultAlg returns the signing algorithm to use for the public key pub:
// PS256 for RSA, and ES256, ES384 or ES512 for EC keys on P-256, P-384 or
// P-521. pub may also be a value with a Public method (a crypto.Signer). It
// does not check the RSA key size: [Check] does.
func DefaultAlg(pub crypto.PublicKey) (string, error) {
	if s, ok := pub.(interface{ Public() crypto.PublicKey }); ok {
		pub = s.Public()
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			break
		}
		return PS256, nil
	case *ecdsa.PublicKey:
		if k == nil {
			break
		}
		if alg := ecAlg(k.Curve); alg != "" {
			return alg, nil
		}
	}
	return "", fmt.Errorf("%w: %s; %s", ErrUnsupportedKey, describeKey(pub), acceptedKeys)
}

// ecAlg is the JWS algorithm for curve, or "" for a curve NetSuite refuses.
func ecAlg(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return ES256
	case elliptic.P384():
		return ES384
	case elliptic.P521():
		return ES512
	}
	return ""
}

// Check validates a signer, its certificate and the JWT signing algorithm
// before any network call, as NetSuite would.
//
// The signer may be any crypto.Signer (an HSM or KMS key too): only
// signer.Public() is used. cert may be nil when only the key is at hand.
// now is the instant the certificate's validity is judged at; the zero
// time means time.Now().
//
// Check refuses (err != nil, wrapping a sentinel error):
//   - RSA keys under 3072 bits, EC keys on curves other than P-256, P-384
//     and P-521, Ed25519 and any other key type ([ErrUnsupportedKey]);
//   - RS256/RS384/RS512, which NetSuite answers with an opaque 500
//     server_error, unknown algorithms, and algorithms that do not fit the
//     key, such as PS256 with an EC key or ES256 with a P-384 key
//     ([ErrUnsupportedAlg]);
//   - a certificate whose public key is not the signer's ([ErrKeyMismatch]);
//   - a certificate expired or not yet valid at now
//     ([ErrCertificateExpired], [ErrCertificateNotYetValid]).
//
// Warnings do not stop the flow: a certificate valid for more than two
// years (NetSuite's limit), and an RSA key larger than 3072 bits other
// than 4096 bits (NetSuite documents only 3072 and 4096).
func Check(signer crypto.Signer, cert *x509.Certificate, alg string, now time.Time) (warnings []string, err error) {
	if signer == nil {
		return nil, fmt.Errorf("%w: no signer given; load one with LoadPEM or LoadPKCS12", ErrNoPrivateKey)
	}
	pub := signer.Public()
	if pub == nil {
		return nil, fmt.Errorf("%w: the signer has no public key; %s", ErrUnsupportedKey, acceptedKeys)
	}
	keyWarnings, err := checkKey(pub)
	if err != nil {
		return nil, err
	}
	warnings = append(warnings, keyWarnings...)
	if err := checkAlg(pub, alg); err != nil {
		return nil, err
	}
	if cert == nil {
		return warnings, nil
	}
	if now.IsZero() {
		now = time.Now()
	}
	certPub, err := certPublicKey(cert)
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(pub, certPub) {
		return nil, fmt.Errorf("%w: certificate %s holds another public key (%s) than the private key's (%s); use the key the certificate was made from, or make and upload a certificate for this key",
			ErrKeyMismatch, certName(cert), describeKey(certPub), describeKey(pub))
	}
	if now.Before(cert.NotBefore) {
		return nil, fmt.Errorf("%w: certificate %s is valid only from %s (now is %s); check the system clock or wait",
			ErrCertificateNotYetValid, certName(cert), cert.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if now.After(cert.NotAfter) {
		return nil, fmt.Errorf("%w: certificate %s expired on %s (now is %s); NetSuite refuses expired certificates: make a new one (valid for at most two years), upload it and use its new certificate ID",
			ErrCertificateExpired, certName(cert), cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if d := cert.NotAfter.Sub(cert.NotBefore); d > maxCertValidity {
		warnings = append(warnings, fmt.Sprintf("netsuite: certificate %s is valid for %d days (%s to %s); NetSuite accepts certificates valid for at most two years (730 days) and may refuse or shorten this one",
			certName(cert), int(d/(24*time.Hour)), cert.NotBefore.UTC().Format(time.DateOnly), cert.NotAfter.UTC().Format(time.DateOnly)))
	}
	return warnings, nil
}

// checkKey refuses public keys NetSuite does not accept and warns about
// unusual but possibly accepted ones.
func checkKey(pub crypto.PublicKey) (warnings []string, err error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return nil, fmt.Errorf("%w: empty RSA public key; %s", ErrUnsupportedKey, acceptedKeys)
		}
		bits := k.N.BitLen()
		if bits < 3072 {
			return nil, fmt.Errorf("%w: the RSA key has %d bits; %s (make one with: openssl req -x509 -newkey rsa:3072 -sha256 -days 730 -nodes -keyout key.pem -out cert.pem)",
				ErrUnsupportedKey, bits, acceptedKeys)
		}
		if bits != 3072 && bits != 4096 {
			warnings = append(warnings, fmt.Sprintf("netsuite: the RSA key has %d bits; NetSuite documents only 3072 and 4096 bits and may refuse the certificate at upload", bits))
		}
		return warnings, nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return nil, fmt.Errorf("%w: empty EC public key; %s", ErrUnsupportedKey, acceptedKeys)
		}
		if ecAlg(k.Curve) == "" {
			return nil, fmt.Errorf("%w: %s; %s", ErrUnsupportedKey, describeKey(k), acceptedKeys)
		}
		return nil, nil
	case ed25519.PublicKey:
		return nil, fmt.Errorf("%w: Ed25519 keys cannot sign NetSuite client assertions (no EdDSA); %s", ErrUnsupportedKey, acceptedKeys)
	default:
		return nil, fmt.Errorf("%w: %s; %s", ErrUnsupportedKey, describeKey(pub), acceptedKeys)
	}
}

// checkAlg refuses alg unless NetSuite accepts it and it fits pub, which
// checkKey has already accepted.
func checkAlg(pub crypto.PublicKey, alg string) error {
	fit, _ := DefaultAlg(pub)
	accepted := strings.Join(acceptedAlgs, ", ")
	upper := strings.ToUpper(strings.TrimSpace(alg))
	switch upper {
	case "RS256", "RS384", "RS512":
		use := fit
		if _, ok := pub.(*rsa.PublicKey); ok {
			use = "PS" + upper[2:]
		}
		return fmt.Errorf("%w: alg %q (RSA PKCS#1 v1.5) is no longer accepted by NetSuite, which answers it with an opaque 500 server_error; use %s instead (the same key works); NetSuite accepts %s",
			ErrUnsupportedAlg, alg, use, accepted)
	case "":
		return fmt.Errorf("%w: no alg given; NetSuite accepts %s, and %s fits this key (see DefaultAlg)", ErrUnsupportedAlg, accepted, fit)
	}
	known := false
	for _, a := range acceptedAlgs {
		if a == alg {
			known = true
		}
	}
	if !known {
		hint := ""
		for _, a := range acceptedAlgs {
			if a == upper {
				hint = fmt.Sprintf(" (algorithm names are case-sensitive: did you mean %q?)", a)
			}
		}
		return fmt.Errorf("%w: alg %q is not accepted%s; NetSuite accepts %s, and %s fits this key",
			ErrUnsupportedAlg, alg, hint, accepted, fit)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if strings.HasPrefix(alg, "PS") {
			return nil
		}
		return fmt.Errorf("%w: alg %s needs an EC key, but the key is %s; use %s, %s or %s with an RSA key",
			ErrUnsupportedAlg, alg, describeKey(k), PS256, PS384, PS512)
	case *ecdsa.PublicKey:
		if alg == fit {
			return nil
		}
		if strings.HasPrefix(alg, "PS") {
			return fmt.Errorf("%w: alg %s needs an RSA key, but the key is %s; use %s with this key",
				ErrUnsupportedAlg, alg, describeKey(k), fit)
		}
		return fmt.Errorf("%w: alg %s needs an EC key on %s, but the key is %s; use %s with this key (ES256 fits P-256, ES384 fits P-384, ES512 fits P-521)",
			ErrUnsupportedAlg, alg, curveForAlg(alg), describeKey(k), fit)
	}
	return fmt.Errorf("%w: %s; %s", ErrUnsupportedKey, describeKey(pub), acceptedKeys)
}

// curveForAlg names the curve an ES* algorithm needs.
func curveForAlg(alg string) string {
	switch alg {
	case ES256:
		return "P-256"
	case ES384:
		return "P-384"
	case ES512:
		return "P-521"
	}
	return "?"
}

// Thumbprint returns the certificate's x5t#256 JWS header value: the
// unpadded base64url encoding of the SHA-256 digest of its DER encoding
// (cert.Raw). It returns "" for a nil certificate.
func Thumbprint(cert *x509.Certificate) string {
	if cert == nil {
		return ""
	}
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// SelectLeaf returns the first certificate in certs whose public key is pub
// (pass signer.Public()), and the other certificates in their original
// order. It is how LoadPKCS12 and LoadPEM pick the leaf, and how a caller
// who loaded the key and the certificate from two files pairs them. It
// returns an error wrapping [ErrKeyMismatch] when no certificate matches.
func SelectLeaf(pub crypto.PublicKey, certs []*x509.Certificate) (leaf *x509.Certificate, others []*x509.Certificate, err error) {
	if s, ok := pub.(interface{ Public() crypto.PublicKey }); ok {
		pub = s.Public()
	}
	for i, c := range certs {
		if c == nil {
			continue
		}
		cp, err := certPublicKey(c)
		if err != nil {
			continue
		}
		if publicKeysEqual(pub, cp) {
			others = make([]*x509.Certificate, 0, len(certs)-1)
			others = append(others, certs[:i]...)
			others = append(others, certs[i+1:]...)
			return c, others, nil
		}
	}
	names := make([]string, 0, len(certs))
	for _, c := range certs {
		if c != nil {
			names = append(names, certName(c))
		}
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("%w: no certificate given for the private key (%s)", ErrKeyMismatch, describeKey(pub))
	}
	if len(names) == 1 {
		return nil, nil, fmt.Errorf("%w: certificate %s does not hold the public key of the private key (%s); use the certificate made from this key",
			ErrKeyMismatch, names[0], describeKey(pub))
	}
	return nil, nil, fmt.Errorf("%w: none of the %d certificates (%s) holds the public key of the private key (%s); use the certificate made from this key",
		ErrKeyMismatch, len(names), strings.Join(names, ", "), describeKey(pub))
}

// publicKeysEqual reports whether a and b are the same public key.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	if a == nil || b == nil {
		return false
	}
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return false
	}
	// rsa.PublicKey.Equal dereferences N; guard half-empty keys.
	if r, ok := a.(*rsa.PublicKey); ok && (r == nil || r.N == nil) {
		return false
	}
	if r, ok := b.(*rsa.PublicKey); ok && (r == nil || r.N == nil) {
		return false
	}
	return eq.Equal(b)
}

// describeKey names a public key's type and size without any key material.
func describeKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return "an empty RSA key"
		}
		return fmt.Sprintf("an RSA key of %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return "an empty EC key"
		}
		return fmt.Sprintf("an EC key on %s", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return "an Ed25519 key"
	case nil:
		return "no key"
	default:
		return fmt.Sprintf("a key of type %T", pub)
	}
}

// certName identifies a certificate in messages by its subject.
func certName(c *x509.Certificate) string {
	s := c.Subject.String()
	if s == "" {
		s = "serial " + c.SerialNumber.String()
	}
	return fmt.Sprintf("%q", s)
}

// contextError prefixes an error's message with where it happened while
// keeping it matchable with errors.Is and errors.As.
type contextError struct {
	msg string
	err error
}

func (e *contextError) Error() string { return e.msg }
func (e *contextError) Unwrap() error { return e.err }

// within returns err with "netsuite: <where>: " in front of its message
// (whose own "netsuite: " prefix is dropped).
func within(where string, err error) error {
	return &contextError{msg: "netsuite: " + where + ": " + strings.TrimPrefix(err.Error(), "netsuite: "), err: err}
}
