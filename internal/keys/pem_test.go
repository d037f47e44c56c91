package keys

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadPEMKeys(t *testing.T) {
	tests := []struct {
		file     string
		password string
		want     string // describe(signer.Public())
		cert     string // certificate fixture made from this key, if any
		inFile   int    // certificates in the file itself
	}{
		{file: "rsa3072.key.pem", want: "RSA-3072", cert: "rsa3072.cert.pem"},
		{file: "rsa3072.combined.pem", want: "RSA-3072", cert: "rsa3072.cert.pem", inFile: 1},
		{file: "rsa3072-from-pfx.pem", want: "RSA-3072", cert: "rsa3072.cert.pem", inFile: 1},
		{file: "rsa4096-pkcs1.key.pem", want: "RSA-4096", cert: "rsa4096.cert.pem"},
		{file: "rsa2048.key.pem", want: "RSA-2048", cert: "rsa2048.cert.pem"},
		{file: "ec-p256-sec1.key.pem", want: "P-256", cert: "ec-p256.cert.pem"},
		{file: "ec-p256-pkcs8.key.pem", want: "P-256", cert: "ec-p256.cert.pem"},
		{file: "ec-p384-sec1.key.pem", want: "P-384", cert: "ec-p384.cert.pem"},
		{file: "ec-p384-pkcs8.key.pem", want: "P-384", cert: "ec-p384.cert.pem"},
		{file: "ec-p521-sec1.key.pem", want: "P-521", cert: "ec-p521.cert.pem"},
		{file: "ec-p521-pkcs8.key.pem", want: "P-521", cert: "ec-p521.cert.pem"},
		{file: "ed25519.key.pem", want: "Ed25519", cert: "ed25519.cert.pem"},
		{file: "rsa-pss-genpkey.key.pem", want: "RSA-3072"},
		{file: "rsa-pss-sha256.key.pem", want: "RSA-3072"},
		{file: "rsa-pss-traditional.key.pem", want: "RSA-3072"},
		{file: "rsa-pss-oracle.key.pem", want: "RSA-3072", cert: "rsa-pss-oracle.cert.pem"},
		{file: "rsa-pss-oracle.combined.pem", want: "RSA-3072", cert: "rsa-pss-oracle.cert.pem", inFile: 1},
		{file: "chain-leaf.key.pem", want: "RSA-3072", cert: "chain-leaf.cert.pem"},
		{file: "rsa3072-enc-aes256.key.pem", password: fixturePassword, want: "RSA-3072", cert: "rsa3072.cert.pem"},
		{file: "ec-p256-enc-genpkey.key.pem", password: fixturePassword, want: "P-256"},
		{file: "ec-p384-enc-aes128-sha512.key.pem", password: fixturePassword, want: "P-384", cert: "ec-p384.cert.pem"},
		{file: "ec-p521-enc-des3.key.pem", password: fixturePassword, want: "P-521", cert: "ec-p521.cert.pem"},
		{file: "rsa-pss-enc-scrypt.key.pem", password: fixturePassword, want: "RSA-3072"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			signer, certs, err := LoadPEM(fixture(t, tt.file), tt.password)
			require.NoError(t, err)
			require.NotNil(t, signer)
			assert.Equal(t, tt.want, describe(signer.Public()))
			require.Len(t, certs, tt.inFile)
			if tt.cert != "" {
				cert := fixtureCert(t, tt.cert)
				assert.True(t, publicKeysEqual(signer.Public(), cert.PublicKey), "key does not match %s", tt.cert)
				if tt.inFile > 0 {
					assert.Equal(t, cert.Raw, certs[0].Raw)
				}
			}
		})
	}
}

// The key of rsa-pss-traditional.key.pem is the one of rsa-pss-genpkey.key.pem.
func TestLoadPEMRSAPSSForms(t *testing.T) {
	a := fixtureKey(t, "rsa-pss-genpkey.key.pem", "")
	b := fixtureKey(t, "rsa-pss-traditional.key.pem", "")
	c := fixtureKey(t, "rsa-pss-enc-scrypt.key.pem", fixturePassword)
	assert.True(t, a.(*rsa.PrivateKey).Equal(b))
	assert.True(t, a.(*rsa.PrivateKey).Equal(c))

	// Go's own parser refuses the PKCS#8 RSASSA-PSS key: that is why LoadPEM parses it.
	block, _ := pem.Decode(fixture(t, "rsa-pss-genpkey.key.pem"))
	_, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	require.Error(t, err)
}

func TestLoadPEMCertificates(t *testing.T) {
	tests := []struct {
		file  string
		want  []string // describe() of each certificate's key
		first string   // subject CN of the first certificate
	}{
		{file: "rsa3072.cert.pem", want: []string{"RSA-3072"}},
		{file: "rsa3072-3y.cert.pem", want: []string{"RSA-3072"}},
		{file: "rsa4096.cert.pem", want: []string{"RSA-4096"}},
		{file: "rsa2048.cert.pem", want: []string{"RSA-2048"}},
		{file: "ec-p256.cert.pem", want: []string{"P-256"}},
		{file: "ec-p384.cert.pem", want: []string{"P-384"}},
		{file: "ec-p521.cert.pem", want: []string{"P-521"}},
		{file: "ed25519.cert.pem", want: []string{"Ed25519"}},
		{file: "rsa-pss-oracle.cert.pem", want: []string{"RSA-3072"}},
		{file: "chain.certs.pem", want: []string{"RSA-3072", "P-256"}, first: "netsuite keys test chain-leaf"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			signer, certs, err := LoadPEM(fixture(t, tt.file), "")
			require.NoError(t, err)
			assert.Nil(t, signer)
			require.Len(t, certs, len(tt.want))
			for i, c := range certs {
				assert.Equal(t, tt.want[i], describe(c.PublicKey))
			}
			if tt.first != "" {
				assert.Equal(t, tt.first, certs[0].Subject.CommonName)
			}
		})
	}
}

// Oracle's `openssl req -newkey rsa-pss` writes a certificate whose
// SubjectPublicKeyInfo uses the RSASSA-PSS OID. Go parses it but leaves
// PublicKey nil; LoadPEM fills it in, and Check reads it either way.
func TestRSAPSSCertificate(t *testing.T) {
	block, _ := pem.Decode(fixture(t, "rsa-pss-oracle.cert.pem"))
	raw, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.Nil(t, raw.PublicKey, "Go now parses RSA-PSS public keys; the fix-up may be unneeded")
	assert.Equal(t, x509.UnknownPublicKeyAlgorithm, raw.PublicKeyAlgorithm)

	cert := fixtureCert(t, "rsa-pss-oracle.cert.pem")
	require.IsType(t, &rsa.PublicKey{}, cert.PublicKey)
	assert.Equal(t, 3072, cert.PublicKey.(*rsa.PublicKey).N.BitLen())

	signer := fixtureKey(t, "rsa-pss-oracle.key.pem", "")
	for _, c := range []*x509.Certificate{cert, raw} {
		warnings, err := Check(signer, c, PS256, inside(c))
		require.NoError(t, err)
		assert.Empty(t, warnings)
	}
	// Same certificate, other key: a mismatch is still caught.
	_, err = Check(fixtureKey(t, "rsa3072.key.pem", ""), raw, PS256, inside(raw))
	require.ErrorIs(t, err, ErrKeyMismatch)
}

func TestLoadPEMKeyAndCertificates(t *testing.T) {
	key := fixture(t, "chain-leaf.key.pem")
	leaf := fixture(t, "chain-leaf.cert.pem")
	ca := fixture(t, "chain-ca.cert.pem")

	// CA first in the file: the leaf is still put first, by key match.
	data := bytes.Join([][]byte{ca, key, leaf}, nil)
	signer, certs, err := LoadPEM(data, "")
	require.NoError(t, err)
	require.Len(t, certs, 2)
	assert.Equal(t, "netsuite keys test chain-leaf", certs[0].Subject.CommonName)
	assert.Equal(t, "netsuite keys test chain-ca", certs[1].Subject.CommonName)
	assert.True(t, publicKeysEqual(signer.Public(), certs[0].PublicKey))

	// CRLF line endings and a byte-order mark, as Windows editors write them.
	crlf := append([]byte("\ufeff"), bytes.ReplaceAll(fixture(t, "rsa3072.combined.pem"), []byte("\n"), []byte("\r\n"))...)
	signer, certs, err = LoadPEM(crlf, "")
	require.NoError(t, err)
	require.NotNil(t, signer)
	require.Len(t, certs, 1)

	// Key and certificate from two files, paired by the caller.
	k, _, err := LoadPEM(key, "")
	require.NoError(t, err)
	_, cs, err := LoadPEM(append(append([]byte{}, ca...), leaf...), "")
	require.NoError(t, err)
	got, others, err := SelectLeaf(k.Public(), cs)
	require.NoError(t, err)
	assert.Equal(t, "netsuite keys test chain-leaf", got.Subject.CommonName)
	require.Len(t, others, 1)
	assert.Equal(t, "netsuite keys test chain-ca", others[0].Subject.CommonName)
}

func TestSelectLeaf(t *testing.T) {
	k := fixtureKey(t, "rsa3072.key.pem", "")
	other := fixtureCert(t, "rsa4096.cert.pem")
	pss := fixtureCert(t, "rsa-pss-oracle.cert.pem")
	mine := fixtureCert(t, "rsa3072.cert.pem")

	leaf, others, err := SelectLeaf(k, []*x509.Certificate{other, pss, nil, mine})
	require.NoError(t, err)
	assert.Same(t, mine, leaf)
	assert.Equal(t, []*x509.Certificate{other, pss, nil}, others)

	_, _, err = SelectLeaf(k.Public(), []*x509.Certificate{other, pss})
	require.ErrorIs(t, err, ErrKeyMismatch)
	assertErrorStyle(t, err)
	assert.Contains(t, err.Error(), "netsuite keys test rsa4096")

	_, _, err = SelectLeaf(k.Public(), nil)
	require.ErrorIs(t, err, ErrKeyMismatch)
	assertErrorStyle(t, err)
}

func TestLoadPEMRefusals(t *testing.T) {
	// Test-built inputs.
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	require.NoError(t, err)
	x25519DER, err := x509.MarshalPKCS8PrivateKey(x25519)
	require.NoError(t, err)
	ed448DER, err := asn1.Marshal(pkcs8{Algo: pkix.AlgorithmIdentifier{Algorithm: oidEd448}, PrivateKey: []byte{4, 57, 1, 2, 3}})
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(fixtureKey(t, "rsa3072.key.pem", "").Public())
	require.NoError(t, err)
	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	derOf := func(name string) []byte { // the last block: the key after EC PARAMETERS
		var last *pem.Block
		for rest := fixture(t, name); ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				return last.Bytes
			}
			last = b
		}
	}
	// Explicit curve parameters inside SEC1: the curve is not named.
	explicitSEC1, err := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: make([]byte, 32)})
	require.NoError(t, err)

	tests := []struct {
		name     string
		data     []byte
		password string
		is       error    // sentinel, nil when none applies
		contains []string // substrings of the message
	}{
		{"secp256k1 SEC1 key", fixture(t, "ec-secp256k1-sec1.key.pem"), "", ErrUnsupportedKey, []string{"secp256k1", acceptedKeys}},
		{"secp256k1 PKCS#8 key", fixture(t, "ec-secp256k1-pkcs8.key.pem"), "", ErrUnsupportedKey, []string{"secp256k1", acceptedKeys}},
		{"secp256k1 certificate", fixture(t, "ec-secp256k1.cert.pem"), "", ErrUnsupportedKey, []string{"certificate 1", "secp256k1", acceptedKeys}},
		{"SEC1 key without named curve", pemOf("EC PRIVATE KEY", explicitSEC1), "", ErrUnsupportedKey, []string{"explicit", acceptedKeys}},
		{"X25519 key", pemOf("PRIVATE KEY", x25519DER), "", ErrUnsupportedKey, []string{"X25519", acceptedKeys}},
		{"Ed448 key", pemOf("PRIVATE KEY", ed448DER), "", ErrUnsupportedKey, []string{"Ed448", acceptedKeys}},
		{"legacy Proc-Type encryption", fixture(t, "rsa3072-legacy-enc.key.pem"), fixturePassword, ErrEncryptedKey,
			[]string{"Proc-Type: 4,ENCRYPTED", "AES-256-CBC", "decrypt it first with: openssl pkey -in key.pem -out key-plain.pem"}},
		{"PKCS#8 PBES1 encryption", fixture(t, "rsa3072-enc-pbes1.key.pem"), fixturePassword, ErrEncryptedKey,
			[]string{"pbeWithSHAAnd3-KeyTripleDES-CBC", "decrypt it first with: openssl pkcs8 -in key.pem -out key-plain.pem"}},
		{"encrypted PKCS#8 without password", fixture(t, "rsa3072-enc-aes256.key.pem"), "", ErrEncryptedKey,
			[]string{"no password", "openssl pkcs8 -in key.pem -out key-plain.pem"}},
		{"encrypted PKCS#8 wrong password (AES-256)", fixture(t, "rsa3072-enc-aes256.key.pem"), "wrong-password-1", ErrWrongPassword, nil},
		{"encrypted PKCS#8 wrong password (genpkey)", fixture(t, "ec-p256-enc-genpkey.key.pem"), "wrong-password-2", ErrWrongPassword, nil},
		{"encrypted PKCS#8 wrong password (3DES)", fixture(t, "ec-p521-enc-des3.key.pem"), "wrong-password-3", ErrWrongPassword, nil},
		{"encrypted PKCS#8 wrong password (scrypt)", fixture(t, "rsa-pss-enc-scrypt.key.pem"), "wrong-password-4", ErrWrongPassword, nil},
		{"DER PKCS#12 given to LoadPEM", fixture(t, "rsa3072-openssl3.pfx"), fixturePassword, ErrNotPEM, []string{"this looks like a PKCS#12 (.pfx/.p12) file; use LoadPKCS12"}},
		{"DER certificate", derOf("rsa3072.cert.pem"), "", ErrNotPEM, []string{"DER certificate", "openssl x509 -inform der"}},
		{"DER PKCS#8 key", derOf("rsa3072.key.pem"), "", ErrNotPEM, []string{"DER private key", "openssl pkey -inform der"}},
		{"DER RSA-PSS key", derOf("rsa-pss-genpkey.key.pem"), "", ErrNotPEM, []string{"DER private key"}},
		{"DER PKCS#1 key", derOf("rsa4096-pkcs1.key.pem"), "", ErrNotPEM, []string{"DER private key"}},
		{"DER SEC1 key", derOf("ec-p256-sec1.key.pem"), "", ErrNotPEM, []string{"DER private key"}},
		{"empty", nil, "", ErrNotPEM, []string{"empty", "BEGIN PRIVATE KEY"}},
		{"garbage", []byte("this is not a key\x00\x01\x02"), "", ErrNotPEM, []string{"no PEM block found", "BEGIN PRIVATE KEY"}},
		{"public key only", pemOf("PUBLIC KEY", pubDER), "", ErrNoPrivateKey, []string{"only a public key", "PRIVATE KEY"}},
		{"EC parameters only", fixture(t, "ec-p256-sec1.key.pem")[:bytes.Index(fixture(t, "ec-p256-sec1.key.pem"), []byte("-----BEGIN EC PRIVATE"))], "", ErrNoPrivateKey,
			[]string{`"EC PARAMETERS"`, "PRIVATE KEY", "CERTIFICATE"}},
		{"certificate request", pemOf("CERTIFICATE REQUEST", []byte{0x30, 0}), "", ErrNoPrivateKey, []string{`"CERTIFICATE REQUEST"`}},
		{"key and a certificate of another key", append(fixture(t, "rsa3072.key.pem"), fixture(t, "rsa4096.cert.pem")...), "", ErrKeyMismatch,
			[]string{"an RSA key of 3072 bits", "certificate made from this key"}},
		{"two keys", append(fixture(t, "rsa3072.key.pem"), fixture(t, "ec-p256-pkcs8.key.pem")...), "", nil, []string{"more than one private key"}},
		{"corrupt PKCS#8", pemOf("PRIVATE KEY", []byte("not der")), "", nil, []string{"cannot parse the PKCS#8 private key"}},
		{"corrupt PKCS#1", pemOf("RSA PRIVATE KEY", []byte("not der")), "", nil, []string{"RSA PRIVATE KEY", "PKCS#1"}},
		{"corrupt SEC1", pemOf("EC PRIVATE KEY", []byte("not der")), "", nil, []string{"SEC1"}},
		{"corrupt certificate", pemOf("CERTIFICATE", []byte("not der")), "", nil, []string{"certificate 1", "cannot parse the certificate"}},
		{"corrupt encrypted key", pemOf("ENCRYPTED PRIVATE KEY", []byte("not der")), fixturePassword, nil, []string{"encrypted PKCS#8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer, certs, err := LoadPEM(tt.data, tt.password)
			require.Error(t, err)
			assert.Nil(t, signer)
			assert.Nil(t, certs)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
			for _, s := range tt.contains {
				assert.Contains(t, err.Error(), s)
			}
			assertErrorStyle(t, err, tt.password)
		})
	}
}

// A key on a curve Go parses but NetSuite refuses loads, and Check refuses it.
func TestLoadPEMP224(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	signer, _, err := LoadPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "")
	require.NoError(t, err)
	_, err = Check(signer, nil, ES256, testNow)
	require.ErrorIs(t, err, ErrUnsupportedKey)
	assert.Contains(t, err.Error(), "P-224")
	assert.Contains(t, err.Error(), acceptedKeys)
}

// Wrong passwords never leak into messages, whatever they look like.
func TestLoadPEMPasswordNotInMessage(t *testing.T) {
	for _, pw := range []string{"hunter2-secret", nonASCIIPassword, strings.Repeat("x", 64)} {
		_, _, err := LoadPEM(fixture(t, "rsa3072-enc-aes256.key.pem"), pw)
		require.ErrorIs(t, err, ErrWrongPassword)
		assertErrorStyle(t, err, pw)
	}
}

// An encrypted key whose PBKDF2 iteration count would make loading hang is
// refused before any key derivation.
func TestLoadPEMIterationLimit(t *testing.T) {
	block, _ := pem.Decode(fixture(t, "rsa3072-enc-aes256.key.pem"))
	var info encryptedPrivateKeyInfo
	_, err := asn1.Unmarshal(block.Bytes, &info)
	require.NoError(t, err)
	var params pbes2Params
	_, err = asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params)
	require.NoError(t, err)
	var kdf pbkdf2Params
	_, err = asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf)
	require.NoError(t, err)
	assert.Equal(t, 2048, kdf.IterationCount)

	kdf.IterationCount = 1 << 30
	params.KeyDerivationFunc.Parameters.FullBytes, err = asn1.Marshal(kdf)
	require.NoError(t, err)
	info.Algo.Parameters.FullBytes, err = asn1.Marshal(params)
	require.NoError(t, err)
	der, err := asn1.Marshal(info)
	require.NoError(t, err)

	_, _, err = LoadPEM(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), fixturePassword)
	require.ErrorIs(t, err, ErrEncryptedKey)
	assert.Contains(t, err.Error(), "iteration count 1073741824")
	assertErrorStyle(t, err, fixturePassword)
}
