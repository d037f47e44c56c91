package keys

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"software.sslmate.com/src/go-pkcs12"
)

// PKCS#12 / PKCS#7 identifiers.
var (
	oidDataContentType          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEncryptedDataContentType = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidKeyBag                   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 1}
	oidPKCS8ShroudedKeyBag      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidCertBag                  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
	oidX509CertificateType      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 1}
	oidPBMAC1                   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
)

// maxMACIterations bounds the PKCS#12 MAC key derivation (OpenSSL writes 2048).
const maxMACIterations = 10_000_000

// Minimal PFX structure (RFC 7292), enough to recognise a PKCS#12 file and
// to walk its bags where go-pkcs12 cannot (RSA-PSS keys).
type (
	pfxPdu struct {
		Version  int
		AuthSafe contentInfo
		MacData  macData `asn1:"optional"`
	}
	contentInfo struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
	}
	macData struct {
		Mac        digestInfo
		MacSalt    []byte
		Iterations int `asn1:"optional,default:1"`
	}
	digestInfo struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}
	encryptedData struct {
		Version              int
		EncryptedContentInfo encryptedContentInfo
	}
	encryptedContentInfo struct {
		ContentType                asn1.ObjectIdentifier
		ContentEncryptionAlgorithm pkix.AlgorithmIdentifier
		EncryptedContent           []byte `asn1:"tag:0,optional"`
	}
	safeBag struct {
		ID         asn1.ObjectIdentifier
		Value      asn1.RawValue   `asn1:"tag:0,explicit"`
		Attributes []asn1.RawValue `asn1:"set,optional"`
	}
	certBag struct {
		ID   asn1.ObjectIdentifier
		Data []byte `asn1:"tag:0,explicit"`
	}
)

// parsePFX parses the outer PFX structure, or returns an error.
func parsePFX(data []byte) (*pfxPdu, error) {
	var pfx pfxPdu
	rest, err := asn1.Unmarshal(data, &pfx)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing data after the PFX structure")
	}
	if pfx.Version != 3 {
		return nil, fmt.Errorf("PFX version %d, want 3", pfx.Version)
	}
	if !pfx.AuthSafe.ContentType.Equal(oidDataContentType) {
		return nil, fmt.Errorf("PFX content type %s, want data (1.2.840.113549.1.7.1)", pfx.AuthSafe.ContentType)
	}
	return &pfx, nil
}

// looksLikePKCS12 reports whether data parses as a PFX structure.
func looksLikePKCS12(data []byte) bool {
	_, err := parsePFX(data)
	return err == nil
}

// LoadPKCS12 decodes a PKCS#12 (.pfx/.p12) file protected with password
// ("" for none). It reads files written by OpenSSL 3 by default
// (PBES2/PBKDF2/AES-256-CBC with a SHA-256 MAC), legacy files (RC2-40 or
// 3DES with a SHA-1 MAC, `openssl pkcs12 -legacy`, older Windows exports),
// files that also hold CA certificates, and passwords with non-ASCII
// characters.
//
// It returns the private key, the leaf certificate — the one whose public
// key matches the private key, wherever it is in the file — and the other
// certificates in file order. Errors wrap [ErrNotPKCS12] (not a PKCS#12
// file; PEM data gets a pointer to [LoadPEM]), [ErrWrongPassword] (MAC or
// decryption failure), [ErrKeyMismatch] (no certificate matches the key),
// [ErrNoPrivateKey] or [ErrUnsupportedKey].
//
// go-pkcs12 cannot parse RSA-PSS keys (OID 1.2.840.113549.1.1.10, Oracle's
// recipe); LoadPKCS12 reads them itself from files whose bags use PBES2 (the
// OpenSSL 3 default) and refuses legacy-encrypted ones with the command
// that converts them to PEM.
func LoadPKCS12(data []byte, password string) (crypto.Signer, *x509.Certificate, []*x509.Certificate, error) {
	pfx, perr := parsePFX(data)
	if perr != nil {
		return nil, nil, nil, notPKCS12Error(data, perr)
	}
	if err := checkPFXCost(pfx); err != nil {
		return nil, nil, nil, err
	}
	for _, r := range password {
		if t, _ := utf16.EncodeRune(r); t != 0xfffd {
			return nil, nil, nil, fmt.Errorf("%w: the password holds a character outside Unicode's Basic Multilingual Plane (such as an emoji), which PKCS#12 passwords cannot encode; re-export the file with another password", ErrWrongPassword)
		}
	}

	key, first, cas, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if isPSSKeyError(err) {
			return loadPKCS12PSS(pfx, password)
		}
		return nil, nil, nil, mapPKCS12Error(err)
	}
	signer, err := toSigner(key)
	if err != nil {
		return nil, nil, nil, err
	}
	all := append([]*x509.Certificate{first}, cas...)
	for _, c := range all {
		fixPSSCertificate(c)
	}
	leaf, others, err := SelectLeaf(signer.Public(), all)
	if err != nil {
		return nil, nil, nil, within("in the PKCS#12 file", err)
	}
	return signer, leaf, others, nil
}

// fixPSSCertificate sets PublicKey of an RSASSA-PSS certificate, which Go leaves nil.
func fixPSSCertificate(c *x509.Certificate) {
	if c != nil && c.PublicKey == nil {
		if pub, err := pssPublicKey(c.RawSubjectPublicKeyInfo); err == nil && pub != nil {
			c.PublicKey = pub
		}
	}
}

// notPKCS12Error explains data that is not a PFX structure.
func notPKCS12Error(data []byte, cause error) error {
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return fmt.Errorf("%w: the data is empty", ErrNotPKCS12)
	case bytes.Contains(data, []byte("-----BEGIN ")):
		return fmt.Errorf("%w: this looks like a PEM file; use LoadPEM", ErrNotPKCS12)
	}
	if dec, err := base64.StdEncoding.DecodeString(string(trimmed)); err == nil && looksLikePKCS12(dec) {
		return fmt.Errorf("%w: this looks like base64-encoded PKCS#12; decode it first (for example: base64 -d file.b64 > file.pfx)", ErrNotPKCS12)
	}
	return fmt.Errorf("%w: the data does not parse as DER PKCS#12: %w", ErrNotPKCS12, cause)
}

// mapPKCS12Error turns a go-pkcs12 error into this package's errors.
func mapPKCS12Error(err error) error {
	msg := err.Error()
	var notImpl pkcs12.NotImplementedError
	switch {
	case strings.Contains(msg, "no MAC in data"):
		return fmt.Errorf("%w: the PKCS#12 file has no password (no MAC); pass an empty password", ErrWrongPassword)
	case errors.Is(err, pkcs12.ErrIncorrectPassword),
		errors.Is(err, pkcs12.ErrDecryption),
		strings.Contains(msg, "decryption error"):
		return fmt.Errorf("%w: cannot open the PKCS#12 file with the given password: %w", ErrWrongPassword, err)
	case strings.Contains(msg, "private key missing"):
		return fmt.Errorf("%w: the PKCS#12 file holds certificates but no private key; export it with its key: openssl pkcs12 -export -inkey key.pem -in cert.pem -out file.pfx", ErrNoPrivateKey)
	case strings.Contains(msg, "certificate missing"):
		return fmt.Errorf("netsuite: the PKCS#12 file holds a private key but no certificate; export it with the certificate uploaded to NetSuite: openssl pkcs12 -export -inkey key.pem -in cert.pem -out file.pfx: %w", err)
	case strings.Contains(msg, "unknown algorithm"), strings.Contains(msg, "unknown elliptic curve"),
		strings.Contains(msg, "unsupported elliptic curve"):
		return fmt.Errorf("%w: the PKCS#12 file holds a key or certificate Go cannot read: %w; %s", ErrUnsupportedKey, err, acceptedKeys)
	case errors.As(err, &notImpl):
		return fmt.Errorf("netsuite: this PKCS#12 file uses a feature that is not supported: %w; convert it to PEM with: openssl pkcs12 -in file.pfx -nodes -out key-and-cert.pem (add -legacy for old files), then use LoadPEM", err)
	}
	return fmt.Errorf("netsuite: cannot decode the PKCS#12 file: %w", err)
}

// isPSSKeyError reports whether go-pkcs12 failed only because the key is
// an RSASSA-PSS PKCS#8 key. It fails so after verifying the MAC and
// decrypting every bag, so the password is known to be right.
func isPSSKeyError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "parsing PKCS#8 private key") && strings.Contains(msg, oidRSASSAPSS.String())
}

// loadPKCS12PSS walks the bags of a PKCS#12 file whose key go-pkcs12 cannot
// parse (RSA-PSS). go-pkcs12 has already verified the MAC with password.
// Only PBES2-encrypted bags (the OpenSSL 3 default) can be read here.
func loadPKCS12PSS(pfx *pfxPdu, password string) (crypto.Signer, *x509.Certificate, []*x509.Certificate, error) {
	legacy := func(algo asn1.ObjectIdentifier) error {
		return fmt.Errorf("%w: the PKCS#12 file holds an RSA-PSS key and is encrypted with %s; RSA-PSS keys are read only from PBES2-encrypted files (the OpenSSL 3 default); convert it to PEM with: openssl pkcs12 -legacy -in file.pfx -nodes -out key-and-cert.pem, then use LoadPEM",
			ErrUnsupportedKey, oidName(algo))
	}
	var authSafe []byte
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafe); err != nil {
		return nil, nil, nil, fmt.Errorf("netsuite: cannot parse the PKCS#12 file: %w", err)
	}
	var infos []contentInfo
	if _, err := asn1.Unmarshal(authSafe, &infos); err != nil {
		return nil, nil, nil, fmt.Errorf("netsuite: cannot parse the PKCS#12 file: %w", err)
	}
	var (
		signer crypto.Signer
		certs  []*x509.Certificate
	)
	for _, ci := range infos {
		var contents []byte
		switch {
		case ci.ContentType.Equal(oidDataContentType):
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &contents); err != nil {
				return nil, nil, nil, fmt.Errorf("netsuite: cannot parse the PKCS#12 file: %w", err)
			}
		case ci.ContentType.Equal(oidEncryptedDataContentType):
			var ed encryptedData
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err != nil {
				return nil, nil, nil, fmt.Errorf("netsuite: cannot parse the PKCS#12 file: %w", err)
			}
			algo := ed.EncryptedContentInfo.ContentEncryptionAlgorithm
			if !algo.Algorithm.Equal(oidPBES2) {
				return nil, nil, nil, legacy(algo.Algorithm)
			}
			plain, err := pbes2Decrypt(algo, ed.EncryptedContentInfo.EncryptedContent, []byte(password))
			if err != nil {
				return nil, nil, nil, within("cannot decrypt the PKCS#12 certificates", err)
			}
			contents = plain
		default:
			return nil, nil, nil, fmt.Errorf("netsuite: the PKCS#12 file holds content of type %s, which is not supported", ci.ContentType)
		}
		var bags []safeBag
		if _, err := asn1.Unmarshal(contents, &bags); err != nil {
			return nil, nil, nil, fmt.Errorf("netsuite: cannot parse the PKCS#12 bags: %w", err)
		}
		for _, bag := range bags {
			switch {
			case bag.ID.Equal(oidCertBag):
				var cb certBag
				if _, err := asn1.Unmarshal(bag.Value.Bytes, &cb); err != nil {
					return nil, nil, nil, fmt.Errorf("netsuite: cannot parse a PKCS#12 certificate bag: %w", err)
				}
				if !cb.ID.Equal(oidX509CertificateType) {
					continue
				}
				c, err := parseCertificate(cb.Data)
				if err != nil {
					return nil, nil, nil, within("in the PKCS#12 file", err)
				}
				certs = append(certs, c)
			case bag.ID.Equal(oidKeyBag), bag.ID.Equal(oidPKCS8ShroudedKeyBag):
				if signer != nil {
					return nil, nil, nil, errors.New("netsuite: the PKCS#12 file holds more than one private key; keep only the key whose certificate was uploaded to NetSuite")
				}
				der := bag.Value.Bytes
				if bag.ID.Equal(oidPKCS8ShroudedKeyBag) {
					var info encryptedPrivateKeyInfo
					if _, err := asn1.Unmarshal(der, &info); err != nil {
						return nil, nil, nil, fmt.Errorf("netsuite: cannot parse the PKCS#12 key bag: %w", err)
					}
					if !info.Algo.Algorithm.Equal(oidPBES2) {
						return nil, nil, nil, legacy(info.Algo.Algorithm)
					}
					plain, err := pbes2Decrypt(info.Algo, info.EncryptedData, []byte(password))
					if err != nil {
						return nil, nil, nil, within("cannot decrypt the PKCS#12 key bag", err)
					}
					der = plain
				}
				s, err := parsePKCS8(der)
				if err != nil {
					return nil, nil, nil, err
				}
				signer = s
			}
		}
	}
	if signer == nil {
		return nil, nil, nil, fmt.Errorf("%w: the PKCS#12 file holds no private key", ErrNoPrivateKey)
	}
	leaf, others, err := SelectLeaf(signer.Public(), certs)
	if err != nil {
		return nil, nil, nil, within("in the PKCS#12 file", err)
	}
	return signer, leaf, others, nil
}

// pbeParams are the parameters of PKCS#12's own password-based encryption.
type pbeParams struct {
	Salt       []byte
	Iterations int
}

// checkPFXCost refuses, before any key derivation, PKCS#12 files whose
// iteration counts would make loading them run for minutes: the MAC
// (classic or PBMAC1), the encryption of each content, and unencrypted
// content's shrouded key bags. Encrypted content's inner bags are reached
// only after its MAC and password checks.
func checkPFXCost(pfx *pfxPdu) error {
	tooMany := func(what string, n int) error {
		return fmt.Errorf("netsuite: the PKCS#12 %s iteration count %d is outside 1..%d; re-export the file with: openssl pkcs12 -export", what, n, maxPBKDF2Iterations)
	}
	mac := pfx.MacData
	if len(mac.Mac.Algorithm.Algorithm) > 0 {
		if mac.Iterations < 1 || mac.Iterations > maxMACIterations {
			return tooMany("MAC", mac.Iterations)
		}
		if mac.Mac.Algorithm.Algorithm.Equal(oidPBMAC1) {
			var params struct {
				KDF pkix.AlgorithmIdentifier
				MAC pkix.AlgorithmIdentifier
			}
			var kdf pbkdf2Params
			if _, err := asn1.Unmarshal(mac.Mac.Algorithm.Parameters.FullBytes, &params); err == nil {
				if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err == nil &&
					(kdf.IterationCount < 1 || kdf.IterationCount > maxPBKDF2Iterations) {
					return tooMany("PBMAC1", kdf.IterationCount)
				}
			}
		}
	}
	checkAlgo := func(what string, algo pkix.AlgorithmIdentifier) error {
		n := 1
		if algo.Algorithm.Equal(oidPBES2) {
			var params pbes2Params
			var kdf pbkdf2Params
			if _, err := asn1.Unmarshal(algo.Parameters.FullBytes, &params); err != nil || !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
				return nil
			}
			if _, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
				return nil
			}
			n = kdf.IterationCount
		} else {
			var params pbeParams
			if _, err := asn1.Unmarshal(algo.Parameters.FullBytes, &params); err != nil {
				return nil
			}
			n = params.Iterations
		}
		if n < 1 || n > maxPBKDF2Iterations {
			return tooMany(what, n)
		}
		return nil
	}
	var authSafe []byte
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafe); err != nil {
		return nil
	}
	var infos []contentInfo
	if _, err := asn1.Unmarshal(authSafe, &infos); err != nil {
		return nil
	}
	for _, ci := range infos {
		switch {
		case ci.ContentType.Equal(oidEncryptedDataContentType):
			var ed encryptedData
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err == nil {
				if err := checkAlgo("content encryption", ed.EncryptedContentInfo.ContentEncryptionAlgorithm); err != nil {
					return err
				}
			}
		case ci.ContentType.Equal(oidDataContentType):
			var contents []byte
			var bags []safeBag
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &contents); err != nil {
				continue
			}
			if _, err := asn1.Unmarshal(contents, &bags); err != nil {
				continue
			}
			for _, bag := range bags {
				var info encryptedPrivateKeyInfo
				if bag.ID.Equal(oidPKCS8ShroudedKeyBag) {
					if _, err := asn1.Unmarshal(bag.Value.Bytes, &info); err == nil {
						if err := checkAlgo("key encryption", info.Algo); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}
