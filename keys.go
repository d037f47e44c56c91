package netsuite

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/suitekit/netsuite/internal/keys"
)

// Errors of key loading and checking; test for them with errors.Is.
var (
	// ErrWrongPassword: a .pfx or encrypted PEM key could not be decrypted
	// with the password given.
	ErrWrongPassword = keys.ErrWrongPassword
	// ErrUnsupportedKey: a key NetSuite does not accept (RSA under 3072
	// bits, EC curves other than P-256/384/521, Ed25519, …).
	ErrUnsupportedKey = keys.ErrUnsupportedKey
	// ErrUnsupportedAlgorithm: RS256/384/512, an unknown algorithm, or one
	// that does not fit the key.
	ErrUnsupportedAlgorithm = keys.ErrUnsupportedAlg
	// ErrKeyMismatch: the certificate is not the private key's.
	ErrKeyMismatch = keys.ErrKeyMismatch
	// ErrCertificateExpired: the certificate is past its NotAfter date.
	ErrCertificateExpired = keys.ErrCertificateExpired
)

// LoadPKCS12 reads a .pfx/.p12 file protected with password ("" for none):
// files written by OpenSSL 3 (AES-256, SHA-256 MAC) and by older tools
// (-legacy: RC2/3DES, SHA-1 MAC), with or without CA certificates, with
// non-ASCII passwords. It returns the private key and its certificate (the
// one whose public key matches the key, wherever it is in the file). A
// wrong password is ErrWrongPassword, distinct from a file that is not
// PKCS#12.
func LoadPKCS12(data []byte, password string) (crypto.Signer, *x509.Certificate, error) {
	key, cert, _, err := keys.LoadPKCS12(data, password)
	return key, cert, err
}

// LoadPEM reads a private key and, when present, its certificate from PEM
// data: PKCS#8, PKCS#1 ("RSA PRIVATE KEY"), SEC1 ("EC PRIVATE KEY"),
// PKCS#8 with the RSASSA-PSS OID (written by Oracle's openssl recipe), or
// an encrypted PKCS#8 key ("ENCRYPTED PRIVATE KEY", decrypted with
// password). For a key and a certificate in two files, pass both:
// LoadPEM(append(keyPEM, certPEM...), ""). The certificate is nil when the
// data holds none.
func LoadPEM(data []byte, password string) (crypto.Signer, *x509.Certificate, error) {
	key, certs, err := keys.LoadPEM(data, password)
	if err != nil {
		return nil, nil, err
	}
	if key == nil {
		return nil, nil, fmt.Errorf("%w: the PEM data holds no private key (only certificates?); "+
			"pass the key file too: LoadPEM(append(keyPEM, certPEM...), password)", keys.ErrNoPrivateKey)
	}
	if len(certs) == 0 {
		return key, nil, nil
	}
	leaf, _, err := keys.SelectLeaf(key.Public(), certs)
	if err != nil {
		return nil, nil, err
	}
	return key, leaf, nil
}

// LoadKeyFile reads a private key (and certificate, if the file has one)
// from a .pfx/.p12 or PEM file, whichever it is.
func LoadKeyFile(path, password string) (crypto.Signer, *x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("netsuite: reading key file: %w", err)
	}
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		return LoadPEM(data, password)
	}
	return LoadPKCS12(data, password)
}
