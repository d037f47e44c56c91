package keys

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"
)

func TestLoadPKCS12(t *testing.T) {
	tests := []struct {
		file     string
		password string
		want     string // describe(signer.Public())
		leaf     string // PEM fixture of the expected leaf
		cas      []string
	}{
		{file: "rsa3072-openssl3.pfx", password: fixturePassword, want: "RSA-3072", leaf: "rsa3072.cert.pem"},
		{file: "rsa3072-legacy.pfx", password: fixturePassword, want: "RSA-3072", leaf: "rsa3072.cert.pem"},
		{file: "rsa3072-emptypw.pfx", password: "", want: "RSA-3072", leaf: "rsa3072.cert.pem"},
		{file: "rsa3072-nonascii.pfx", password: nonASCIIPassword, want: "RSA-3072", leaf: "rsa3072.cert.pem"},
		{file: "rsa2048.pfx", password: fixturePassword, want: "RSA-2048", leaf: "rsa2048.cert.pem"},
		{file: "ec-p256.pfx", password: fixturePassword, want: "P-256", leaf: "ec-p256.cert.pem"},
		{file: "ec-p384-legacy.pfx", password: fixturePassword, want: "P-384", leaf: "ec-p384.cert.pem"},
		{file: "ec-p521.pfx", password: fixturePassword, want: "P-521", leaf: "ec-p521.cert.pem"},
		{file: "rsa-pss-oracle.pfx", password: fixturePassword, want: "RSA-3072", leaf: "rsa-pss-oracle.cert.pem"},
		{file: "chain.pfx", password: fixturePassword, want: "RSA-3072", leaf: "chain-leaf.cert.pem", cas: []string{"chain-ca.cert.pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			signer, leaf, cas, err := LoadPKCS12(fixture(t, tt.file), tt.password)
			require.NoError(t, err)
			require.NotNil(t, signer)
			assert.Equal(t, tt.want, describe(signer.Public()))
			want := fixtureCert(t, tt.leaf)
			require.NotNil(t, leaf)
			assert.Equal(t, want.Raw, leaf.Raw)
			assert.True(t, publicKeysEqual(signer.Public(), leaf.PublicKey))
			require.Len(t, cas, len(tt.cas))
			for i, name := range tt.cas {
				assert.Equal(t, fixtureCert(t, name).Raw, cas[i].Raw)
			}
		})
	}
}

// openssl always writes the leaf's bag first. These files, written with
// go-pkcs12, put the CA certificate first: the leaf is found by key match.
func TestLoadPKCS12LeafSelection(t *testing.T) {
	key := fixtureKey(t, "chain-leaf.key.pem", "")
	leaf := fixtureCert(t, "chain-leaf.cert.pem")
	ca := fixtureCert(t, "chain-ca.cert.pem")
	other := fixtureCert(t, "rsa4096.cert.pem")
	encoders := map[string]*pkcs12.Encoder{
		"Modern2023":   pkcs12.Modern2023,
		"LegacyDES":    pkcs12.LegacyDES,
		"LegacyRC2":    pkcs12.LegacyRC2,
		"Passwordless": pkcs12.Passwordless,
	}
	for name, enc := range encoders {
		t.Run(name, func(t *testing.T) {
			pw := fixturePassword
			if enc == pkcs12.Passwordless {
				pw = ""
			}
			data, err := enc.Encode(key, ca, []*x509.Certificate{other, leaf}, pw)
			require.NoError(t, err)
			signer, got, cas, err := LoadPKCS12(data, pw)
			require.NoError(t, err)
			assert.True(t, publicKeysEqual(key.Public(), signer.Public()))
			assert.Equal(t, leaf.Raw, got.Raw)
			require.Len(t, cas, 2)
			assert.Equal(t, ca.Raw, cas[0].Raw)
			assert.Equal(t, other.Raw, cas[1].Raw)
		})
	}
}

func TestLoadPKCS12Refusals(t *testing.T) {
	// A PKCS#12 file whose certificate is not the key's: openssl refuses to
	// write one ("No cert in -in file matches private key"); go-pkcs12 does not.
	mismatch, err := pkcs12.Modern2023.Encode(fixtureKey(t, "rsa3072.key.pem", ""), fixtureCert(t, "rsa4096.cert.pem"), nil, fixturePassword)
	require.NoError(t, err)
	passwordless, err := pkcs12.Passwordless.Encode(fixtureKey(t, "ec-p256-sec1.key.pem", ""), fixtureCert(t, "ec-p256.cert.pem"), nil, "")
	require.NoError(t, err)
	b64 := []byte(base64.StdEncoding.EncodeToString(fixture(t, "rsa3072-openssl3.pfx")) + "\n")

	tests := []struct {
		name     string
		data     []byte
		password string
		is       error
		not      error
		contains []string
	}{
		{"wrong password (OpenSSL 3)", fixture(t, "rsa3072-openssl3.pfx"), "wrong-password-1", ErrWrongPassword, ErrNotPKCS12, nil},
		{"wrong password (legacy)", fixture(t, "rsa3072-legacy.pfx"), "wrong-password-2", ErrWrongPassword, ErrNotPKCS12, nil},
		{"empty password for a protected file", fixture(t, "rsa3072-openssl3.pfx"), "", ErrWrongPassword, ErrNotPKCS12, nil},
		{"password for an empty-password file", fixture(t, "rsa3072-emptypw.pfx"), "some-password", ErrWrongPassword, ErrNotPKCS12, nil},
		{"non-ASCII password, decomposed", fixture(t, "rsa3072-nonascii.pfx"), "pa\u0308sswo\u0308rd-日本", ErrWrongPassword, ErrNotPKCS12, nil},
		{"non-ASCII password, ASCII-folded", fixture(t, "rsa3072-nonascii.pfx"), "passwoerd-riben", ErrWrongPassword, ErrNotPKCS12, nil},
		{"password outside the BMP", fixture(t, "rsa3072-openssl3.pfx"), "emoji-\U0001F511-key", ErrWrongPassword, nil, []string{"Basic Multilingual Plane"}},
		{"password for a passwordless file", passwordless, "not-needed-1", ErrWrongPassword, nil, []string{"no password", "empty password"}},
		{"PEM key given to LoadPKCS12", fixture(t, "rsa3072.key.pem"), fixturePassword, ErrNotPKCS12, ErrWrongPassword, []string{"this looks like a PEM file; use LoadPEM"}},
		{"PEM certificate given to LoadPKCS12", fixture(t, "rsa3072.cert.pem"), "", ErrNotPKCS12, nil, []string{"use LoadPEM"}},
		{"base64 PKCS#12", b64, fixturePassword, ErrNotPKCS12, nil, []string{"base64", "decode it first"}},
		{"empty", nil, "", ErrNotPKCS12, nil, []string{"empty"}},
		{"garbage", []byte("\x30\x03\x02\x01\x03garbage"), "", ErrNotPKCS12, nil, nil},
		{"truncated", fixture(t, "rsa3072-openssl3.pfx")[:200], fixturePassword, ErrNotPKCS12, nil, nil},
		{"certificate does not match key", mismatch, fixturePassword, ErrKeyMismatch, nil,
			[]string{"PKCS#12 file", "netsuite keys test rsa4096", "RSA key of 3072 bits"}},
		{"certificates only", fixture(t, "certonly.pfx"), fixturePassword, ErrNoPrivateKey, nil, []string{"no private key", "openssl pkcs12 -export"}},
		{"secp256k1 key", fixture(t, "ec-secp256k1.pfx"), fixturePassword, ErrUnsupportedKey, nil, []string{acceptedKeys}},
		{"huge MAC iteration count", withMACIterations(t, fixture(t, "rsa3072-openssl3.pfx"), 1<<30), fixturePassword, nil, nil, []string{"MAC iteration count 1073741824"}},
		{"RSA-PSS key in a legacy file", fixture(t, "rsa-pss-oracle-legacy.pfx"), fixturePassword, ErrUnsupportedKey, nil,
			[]string{"RSA-PSS", "openssl pkcs12 -legacy -in file.pfx -nodes", "LoadPEM"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer, leaf, cas, err := LoadPKCS12(tt.data, tt.password)
			require.Error(t, err)
			assert.Nil(t, signer)
			assert.Nil(t, leaf)
			assert.Nil(t, cas)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
			if tt.not != nil {
				assert.NotErrorIs(t, err, tt.not)
			}
			for _, s := range tt.contains {
				assert.Contains(t, err.Error(), s)
			}
			assertErrorStyle(t, err, tt.password)
		})
	}
}

// withMACIterations re-encodes a PKCS#12 file with another MAC iteration count.
func withMACIterations(t *testing.T, data []byte, n int) []byte {
	t.Helper()
	pfx, err := parsePFX(data)
	require.NoError(t, err)
	same, err := asn1.Marshal(*pfx)
	require.NoError(t, err)
	require.Equal(t, data, same, "PFX structure does not round-trip")
	pfx.MacData.Iterations = n
	out, err := asn1.Marshal(*pfx)
	require.NoError(t, err)
	return out
}

// Check refuses the RSA-2048 and Ed25519 keys of PKCS#12 files that load fine.
func TestLoadPKCS12Ed25519(t *testing.T) {
	signer, leaf, _, err := LoadPKCS12(fixture(t, "ed25519.pfx"), fixturePassword)
	require.NoError(t, err)
	_, err = Check(signer, leaf, PS256, inside(leaf))
	require.ErrorIs(t, err, ErrUnsupportedKey)
	assert.Contains(t, err.Error(), acceptedKeys)
}

// Check refuses the RSA-2048 key of a PKCS#12 file that loads fine.
func TestLoadPKCS12ThenCheck(t *testing.T) {
	signer, leaf, _, err := LoadPKCS12(fixture(t, "rsa2048.pfx"), fixturePassword)
	require.NoError(t, err)
	_, err = Check(signer, leaf, PS256, inside(leaf))
	require.ErrorIs(t, err, ErrUnsupportedKey)
	assert.Contains(t, err.Error(), acceptedKeys)

	signer, leaf, _, err = LoadPKCS12(fixture(t, "chain.pfx"), fixturePassword)
	require.NoError(t, err)
	warnings, err := Check(signer, leaf, PS256, inside(leaf))
	require.NoError(t, err)
	assert.Empty(t, warnings)
}
