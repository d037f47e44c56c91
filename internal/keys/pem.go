package keys

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// PEM block types.
const (
	pemPrivateKey          = "PRIVATE KEY"
	pemEncryptedPrivateKey = "ENCRYPTED PRIVATE KEY"
	pemRSAPrivateKey       = "RSA PRIVATE KEY"
	pemRSAPSSPrivateKey    = "RSA-PSS PRIVATE KEY"
	pemECPrivateKey        = "EC PRIVATE KEY"
	pemECParameters        = "EC PARAMETERS"
	pemCertificate         = "CERTIFICATE"
	pemTrustedCertificate  = "TRUSTED CERTIFICATE"
	pemX509Certificate     = "X509 CERTIFICATE"
)

// decryptFirst is the advice given for a PKCS#8 key this package cannot decrypt.
const decryptFirst = "decrypt it first with: openssl pkcs8 -in key.pem -out key-plain.pem"

// LoadPEM decodes PEM data holding a private key, certificates, or both.
//
// It returns the private key (nil when the data holds only certificates)
// and the certificates in file order, except that when the data holds a
// key and certificates, the certificate matching the key comes first (see
// [SelectLeaf]); if none matches, LoadPEM returns an error wrapping
// [ErrKeyMismatch]. When the key and the certificate are in two files, call
// LoadPEM on each and pair them with SelectLeaf or [Check].
//
// Private keys may be:
//   - PKCS#8 "PRIVATE KEY" (RSA, EC, Ed25519), including keys with the
//     RSASSA-PSS OID 1.2.840.113549.1.1.10 written by
//     `openssl genpkey -algorithm RSA-PSS` and `openssl req -newkey rsa-pss`
//     (Oracle's recipe), which Go's x509 package cannot parse;
//   - PKCS#1 "RSA PRIVATE KEY" and OpenSSL's "RSA-PSS PRIVATE KEY";
//   - SEC1 "EC PRIVATE KEY" ("EC PARAMETERS" blocks are skipped);
//   - "ENCRYPTED PRIVATE KEY" (PKCS#8 PBES2 with PBKDF2 or scrypt and
//     AES-CBC or DES-EDE3-CBC, as OpenSSL 3 writes by default), decrypted
//     with password. Other schemes, and keys encrypted with OpenSSL's
//     legacy "Proc-Type: 4,ENCRYPTED" headers, yield [ErrEncryptedKey] with
//     the openssl command that decrypts them.
//
// password is used only for an encrypted key and may be "" otherwise.
// Certificates may be "CERTIFICATE" blocks. A certificate whose public key
// uses the RSASSA-PSS OID (Oracle's recipe) is returned with its
// PublicKey field set to the *rsa.PublicKey, which Go leaves nil.
// A key on a curve Go cannot read (such as secp256k1) is refused with
// [ErrUnsupportedKey]. Text around the PEM blocks (such as the "Bag
// Attributes" that `openssl pkcs12 -nodes` prints) is ignored.
func LoadPEM(data []byte, password string) (crypto.Signer, []*x509.Certificate, error) {
	var (
		signer    crypto.Signer
		keyBlocks int
		certs     []*x509.Certificate
		types     []string
		publicKey bool
	)
	// pem.Decode finds a block only at the start of a line; a byte-order
	// mark would hide the first one.
	rest := bytes.TrimPrefix(data, []byte("\ufeff"))
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		types = append(types, block.Type)
		switch block.Type {
		case pemPrivateKey, pemEncryptedPrivateKey, pemRSAPrivateKey, pemRSAPSSPrivateKey, pemECPrivateKey:
			keyBlocks++
			if keyBlocks > 1 {
				return nil, nil, fmt.Errorf("netsuite: the PEM data holds more than one private key; keep only the key whose certificate was uploaded to NetSuite")
			}
			s, err := parsePEMKey(block, password)
			if err != nil {
				return nil, nil, err
			}
			signer = s
		case pemCertificate, pemX509Certificate, pemTrustedCertificate:
			der := block.Bytes
			if block.Type == pemTrustedCertificate {
				// OpenSSL's trusted form: the certificate followed by trust settings.
				var raw asn1.RawValue
				if _, err := asn1.Unmarshal(der, &raw); err == nil {
					der = raw.FullBytes
				}
			}
			c, err := parseCertificate(der)
			if err != nil {
				return nil, nil, within(fmt.Sprintf("certificate %d in the PEM data", len(certs)+1), err)
			}
			certs = append(certs, c)
		case pemECParameters:
			// Written before the key by `openssl ecparam -genkey`; the key
			// names its curve itself.
		case "PUBLIC KEY", "RSA PUBLIC KEY":
			publicKey = true
		}
	}

	if len(types) == 0 {
		return nil, nil, notPEMError(data)
	}
	if signer == nil && len(certs) == 0 {
		if publicKey {
			return nil, nil, fmt.Errorf("%w: the PEM data holds only a public key; signing NetSuite client assertions needs the private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", ErrNoPrivateKey)
		}
		return nil, nil, fmt.Errorf("%w: the PEM data holds neither a private key nor a certificate (found %s); expected PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY, ENCRYPTED PRIVATE KEY or CERTIFICATE blocks",
			ErrNoPrivateKey, describeTypes(types))
	}
	if signer != nil && len(certs) > 0 {
		leaf, others, err := SelectLeaf(signer.Public(), certs)
		if err != nil {
			return nil, nil, err
		}
		certs = append([]*x509.Certificate{leaf}, others...)
	}
	return signer, certs, nil
}

// parsePEMKey parses one private-key PEM block.
func parsePEMKey(block *pem.Block, password string) (crypto.Signer, error) {
	if block.Headers["Proc-Type"] != "" || block.Headers["DEK-Info"] != "" {
		cipherName := strings.SplitN(block.Headers["DEK-Info"], ",", 2)[0]
		if cipherName == "" {
			cipherName = "an unknown cipher"
		}
		return nil, fmt.Errorf("%w: the %s block is encrypted with OpenSSL's legacy PEM encryption (Proc-Type: 4,ENCRYPTED, %s), which is not supported; decrypt it first with: openssl pkey -in key.pem -out key-plain.pem (or re-encrypt it as PKCS#8, which LoadPEM decrypts: openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out key-pkcs8.pem)",
			ErrEncryptedKey, block.Type, cipherName)
	}
	switch block.Type {
	case pemPrivateKey:
		return parsePKCS8(block.Bytes)
	case pemRSAPrivateKey, pemRSAPSSPrivateKey:
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			if s, err8 := parsePKCS8(block.Bytes); err8 == nil {
				// Some tools label PKCS#8 keys "RSA PRIVATE KEY".
				return s, nil
			}
			return nil, fmt.Errorf("netsuite: cannot parse the %s (PKCS#1) block: %w", block.Type, err)
		}
		return k, nil
	case pemECPrivateKey:
		return parseSEC1(block.Bytes)
	case pemEncryptedPrivateKey:
		return parseEncryptedPKCS8(block.Bytes, password)
	}
	return nil, fmt.Errorf("netsuite: unexpected PEM block %q", block.Type)
}

// parseEncryptedPKCS8 decrypts and parses an "ENCRYPTED PRIVATE KEY" block.
func parseEncryptedPKCS8(der []byte, password string) (crypto.Signer, error) {
	plain, err := decryptPKCS8(der, []byte(password))
	switch {
	case errors.Is(err, errUnsupportedScheme):
		return nil, fmt.Errorf("%w: %s; %s", ErrEncryptedKey, strings.TrimPrefix(err.Error(), "netsuite: "), decryptFirst)
	case errors.Is(err, ErrWrongPassword) && password == "":
		return nil, fmt.Errorf("%w: the private key is encrypted and no password was given; pass its password, or %s", ErrEncryptedKey, decryptFirst)
	case err != nil:
		return nil, err
	}
	// A wrong password passes the padding check about once in 256 tries;
	// the plaintext is then not DER.
	var k pkcs8
	if _, err := asn1.Unmarshal(plain, &k); err != nil {
		if password == "" {
			return nil, fmt.Errorf("%w: the private key is encrypted and no password was given; pass its password, or %s", ErrEncryptedKey, decryptFirst)
		}
		return nil, fmt.Errorf("%w: cannot decrypt the encrypted private key with the given password", ErrWrongPassword)
	}
	return parsePKCS8(plain)
}

// notPEMError explains data that holds no PEM block at all.
func notPEMError(data []byte) error {
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return fmt.Errorf("%w: the data is empty; expected PEM blocks such as -----BEGIN PRIVATE KEY----- or -----BEGIN CERTIFICATE-----", ErrNotPEM)
	case looksLikePKCS12(data):
		return fmt.Errorf("%w: this looks like a PKCS#12 (.pfx/.p12) file; use LoadPKCS12", ErrNotPEM)
	}
	if _, err := x509.ParseCertificate(data); err == nil {
		return fmt.Errorf("%w: this looks like a DER certificate; convert it with: openssl x509 -inform der -in cert.cer -out cert.pem", ErrNotPEM)
	}
	if _, err := x509.ParsePKCS8PrivateKey(data); err == nil {
		return fmt.Errorf("%w: this looks like a DER private key; convert it with: openssl pkey -inform der -in key.der -out key.pem", ErrNotPEM)
	}
	var k pkcs8
	if _, err := asn1.Unmarshal(data, &k); err == nil && k.Algo.Algorithm.Equal(oidRSASSAPSS) {
		return fmt.Errorf("%w: this looks like a DER private key; convert it with: openssl pkey -inform der -in key.der -out key.pem", ErrNotPEM)
	}
	if _, err := x509.ParsePKCS1PrivateKey(data); err == nil {
		return fmt.Errorf("%w: this looks like a DER private key; convert it with: openssl pkey -inform der -in key.der -out key.pem", ErrNotPEM)
	}
	if _, err := x509.ParseECPrivateKey(data); err == nil {
		return fmt.Errorf("%w: this looks like a DER private key; convert it with: openssl pkey -inform der -in key.der -out key.pem", ErrNotPEM)
	}
	return fmt.Errorf("%w: no PEM block found; expected PEM blocks such as -----BEGIN PRIVATE KEY----- or -----BEGIN CERTIFICATE-----", ErrNotPEM)
}

// describeTypes lists PEM block types for a message.
func describeTypes(types []string) string {
	seen := map[string]bool{}
	var out []string
	for _, t := range types {
		if !seen[t] {
			seen[t] = true
			out = append(out, fmt.Sprintf("%q", t))
		}
	}
	sort.Strings(out)
	return "blocks " + strings.Join(out, ", ")
}
