package keys

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

// Object identifiers this package recognises.
var (
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSASSAPSS     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidEd25519       = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidEd448         = asn1.ObjectIdentifier{1, 3, 101, 113}
	oidX25519        = asn1.ObjectIdentifier{1, 3, 101, 110}
	oidX448          = asn1.ObjectIdentifier{1, 3, 101, 111}
	oidDSA           = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}

	oidCurveP224      = asn1.ObjectIdentifier{1, 3, 132, 0, 33}
	oidCurveP256      = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidCurveP384      = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidCurveP521      = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
	oidCurveSecp256k1 = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
	oidCurveBP256r1   = asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}
	oidCurveBP384r1   = asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 11}
	oidCurveBP512r1   = asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 13}
	oidCurveSM2       = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}
)

// oidName returns a readable name for the OIDs that appear in messages.
func oidName(oid asn1.ObjectIdentifier) string {
	names := []struct {
		oid  asn1.ObjectIdentifier
		name string
	}{
		{oidRSAEncryption, "rsaEncryption"},
		{oidRSASSAPSS, "RSASSA-PSS"},
		{oidECPublicKey, "EC"},
		{oidEd25519, "Ed25519"},
		{oidEd448, "Ed448"},
		{oidX25519, "X25519"},
		{oidX448, "X448"},
		{oidDSA, "DSA"},
		{oidCurveP224, "P-224"},
		{oidCurveP256, "P-256"},
		{oidCurveP384, "P-384"},
		{oidCurveP521, "P-521"},
		{oidCurveSecp256k1, "secp256k1"},
		{oidCurveBP256r1, "brainpoolP256r1"},
		{oidCurveBP384r1, "brainpoolP384r1"},
		{oidCurveBP512r1, "brainpoolP512r1"},
		{oidCurveSM2, "SM2"},
		{oidPBES2, "PBES2"},
		{oidPBKDF2, "PBKDF2"},
		{oidScrypt, "scrypt"},
		{oidAES128CBC, "AES-128-CBC"},
		{oidAES192CBC, "AES-192-CBC"},
		{oidAES256CBC, "AES-256-CBC"},
		{oidDESEDE3CBC, "DES-EDE3-CBC"},
		{oidPBEWithSHAAnd3KeyTripleDES, "pbeWithSHAAnd3-KeyTripleDES-CBC"},
		{oidPBEWithSHAAnd40BitRC2, "pbeWithSHAAnd40BitRC2-CBC"},
		{oidPBEWithSHAAnd128BitRC2, "pbeWithSHAAnd128BitRC2-CBC"},
	}
	for _, n := range names {
		if n.oid.Equal(oid) {
			return fmt.Sprintf("%s (%s)", n.name, oid)
		}
	}
	return oid.String()
}

// goCurve reports whether Go's x509 package can parse keys on curve.
func goCurve(curve asn1.ObjectIdentifier) bool {
	return curve.Equal(oidCurveP224) || curve.Equal(oidCurveP256) ||
		curve.Equal(oidCurveP384) || curve.Equal(oidCurveP521)
}

// pkcs8 is a PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5958); the
// optional attributes and public key that may follow are ignored.
type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// ecPrivateKey is SEC1's ECPrivateKey (RFC 5915), enough to read the curve.
type ecPrivateKey struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

// unsupportedCurve is the refusal for an EC key on curve (nil: explicit
// parameters or no curve given).
func unsupportedCurve(what string, curve asn1.ObjectIdentifier) error {
	if len(curve) == 0 {
		return fmt.Errorf("%w: %s uses explicit (unnamed) EC parameters; %s (make one with: openssl ecparam -name prime256v1 -genkey -noout -out key.pem)",
			ErrUnsupportedKey, what, acceptedKeys)
	}
	return fmt.Errorf("%w: %s is on curve %s; %s", ErrUnsupportedKey, what, oidName(curve), acceptedKeys)
}

// parsePKCS8 parses an unencrypted PKCS#8 private key, including the
// RSASSA-PSS keys Go's x509 package refuses.
func parsePKCS8(der []byte) (crypto.Signer, error) {
	var k pkcs8
	if rest, err := asn1.Unmarshal(der, &k); err != nil {
		return nil, fmt.Errorf("netsuite: cannot parse the PKCS#8 private key: %w", err)
	} else if len(rest) != 0 {
		return nil, fmt.Errorf("netsuite: cannot parse the PKCS#8 private key: %d bytes of trailing data", len(rest))
	}
	switch {
	case k.Algo.Algorithm.Equal(oidRSASSAPSS):
		// Written by `openssl genpkey -algorithm RSA-PSS` and
		// `openssl req -newkey rsa-pss`. The privateKey OCTET STRING is an
		// ordinary PKCS#1 RSAPrivateKey; any RSASSA-PSS-params restricting
		// the hash or salt length are ignored.
		key, err := x509.ParsePKCS1PrivateKey(k.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("netsuite: cannot parse the RSA-PSS (PKCS#8, OID %s) private key: %w", oidRSASSAPSS, err)
		}
		return key, nil
	case k.Algo.Algorithm.Equal(oidECPublicKey):
		var curve asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(k.Algo.Parameters.FullBytes, &curve); err != nil || !goCurve(curve) {
			return nil, unsupportedCurve("the private key", curve)
		}
	case k.Algo.Algorithm.Equal(oidRSAEncryption), k.Algo.Algorithm.Equal(oidEd25519):
	default:
		return nil, fmt.Errorf("%w: the private key is of type %s; %s", ErrUnsupportedKey, oidName(k.Algo.Algorithm), acceptedKeys)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("netsuite: cannot parse the PKCS#8 private key: %w", err)
	}
	return toSigner(key)
}

// parseSEC1 parses a SEC1 "EC PRIVATE KEY", refusing clearly the curves Go
// cannot read.
func parseSEC1(der []byte) (crypto.Signer, error) {
	var k ecPrivateKey
	if _, err := asn1.Unmarshal(der, &k); err != nil {
		return nil, fmt.Errorf("netsuite: cannot parse the EC (SEC1) private key: %w", err)
	}
	if !goCurve(k.NamedCurveOID) {
		return nil, unsupportedCurve("the private key", k.NamedCurveOID)
	}
	key, err := x509.ParseECPrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("netsuite: cannot parse the EC (SEC1) private key: %w", err)
	}
	return key, nil
}

// toSigner converts a parsed private key to a crypto.Signer.
func toSigner(key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	case *ecdh.PrivateKey:
		return nil, fmt.Errorf("%w: the private key is an X25519 (ECDH) key, which cannot sign; %s", ErrUnsupportedKey, acceptedKeys)
	case crypto.Signer:
		return k, nil
	}
	return nil, fmt.Errorf("%w: the private key is of type %T, which cannot sign; %s", ErrUnsupportedKey, key, acceptedKeys)
}

// Minimal X.509 structure, enough to read the SubjectPublicKeyInfo of a
// certificate Go's x509 package cannot parse.
type (
	publicKeyInfo struct {
		Raw       asn1.RawContent
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	tbsCertificate struct {
		Raw                asn1.RawContent
		Version            int `asn1:"optional,explicit,default:0,tag:0"`
		SerialNumber       asn1.RawValue
		SignatureAlgorithm asn1.RawValue
		Issuer             asn1.RawValue
		Validity           asn1.RawValue
		Subject            asn1.RawValue
		PublicKey          publicKeyInfo
	}
	certificate struct {
		TBSCertificate     tbsCertificate
		SignatureAlgorithm asn1.RawValue
		SignatureValue     asn1.BitString
	}
)

// parseCertificate parses a DER certificate. For an RSASSA-PSS
// SubjectPublicKeyInfo, which Go parses with a nil PublicKey, it fills
// cert.PublicKey with the *rsa.PublicKey. A certificate Go refuses because
// of its key (such as an EC key on secp256k1) gets a clear ErrUnsupportedKey.
func parseCertificate(der []byte) (*x509.Certificate, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		var raw certificate
		if _, rerr := asn1.Unmarshal(der, &raw); rerr == nil {
			spki := raw.TBSCertificate.PublicKey
			if spki.Algorithm.Algorithm.Equal(oidECPublicKey) {
				var curve asn1.ObjectIdentifier
				if _, cerr := asn1.Unmarshal(spki.Algorithm.Parameters.FullBytes, &curve); cerr != nil || !goCurve(curve) {
					return nil, unsupportedCurve("the certificate's public key", curve)
				}
			}
		}
		return nil, fmt.Errorf("netsuite: cannot parse the certificate: %w", err)
	}
	if cert.PublicKey == nil {
		if pub, perr := pssPublicKey(cert.RawSubjectPublicKeyInfo); perr == nil && pub != nil {
			cert.PublicKey = pub
		}
	}
	return cert, nil
}

// pssPublicKey returns the RSA public key of an RSASSA-PSS
// SubjectPublicKeyInfo, or nil if spki uses another algorithm.
func pssPublicKey(spki []byte) (*rsa.PublicKey, error) {
	var info publicKeyInfo
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, err
	}
	if !info.Algorithm.Algorithm.Equal(oidRSASSAPSS) {
		return nil, nil
	}
	return x509.ParsePKCS1PublicKey(info.PublicKey.RightAlign())
}

// certPublicKey returns cert's public key, reading RSASSA-PSS keys that
// Go's x509 package leaves nil.
func certPublicKey(cert *x509.Certificate) (crypto.PublicKey, error) {
	if cert.PublicKey != nil {
		return cert.PublicKey, nil
	}
	pub, err := pssPublicKey(cert.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot read the public key of certificate %s: %w; %s", ErrUnsupportedKey, certName(cert), err, acceptedKeys)
	}
	if pub == nil {
		var info publicKeyInfo
		algo := "an unknown algorithm"
		if _, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &info); err == nil {
			algo = oidName(info.Algorithm.Algorithm)
		}
		return nil, fmt.Errorf("%w: certificate %s holds a public key of type %s; %s", ErrUnsupportedKey, certName(cert), algo, acceptedKeys)
	}
	return pub, nil
}
