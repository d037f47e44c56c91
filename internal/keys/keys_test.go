package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testNow is a fixed instant for checks that involve no certificate.
var testNow = time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)

func TestDefaultAlg(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"rsa3072.key.pem", PS256},
		{"rsa4096-pkcs1.key.pem", PS256},
		{"rsa2048.key.pem", PS256}, // DefaultAlg maps; Check judges the size
		{"rsa-pss-oracle.key.pem", PS256},
		{"ec-p256-sec1.key.pem", ES256},
		{"ec-p384-pkcs8.key.pem", ES384},
		{"ec-p521-sec1.key.pem", ES512},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s := fixtureKey(t, tt.file, "")
			got, err := DefaultAlg(s.Public())
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			got, err = DefaultAlg(s) // a signer is accepted too
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	for name, pub := range map[string]crypto.PublicKey{
		"ed25519": fixtureKey(t, "ed25519.key.pem", "").Public(),
		"P-224":   p224.Public(),
		"nil":     nil,
		"string":  "not a key",
		"nil RSA": (*rsa.PublicKey)(nil),
	} {
		t.Run("refuse "+name, func(t *testing.T) {
			_, err := DefaultAlg(pub)
			require.ErrorIs(t, err, ErrUnsupportedKey)
			assert.Contains(t, err.Error(), acceptedKeys)
			assertErrorStyle(t, err)
		})
	}
}

func TestCheckAccepts(t *testing.T) {
	tests := []struct {
		key, cert string
		algs      []string
	}{
		{"rsa3072.key.pem", "rsa3072.cert.pem", []string{PS256, PS384, PS512}},
		{"rsa4096-pkcs1.key.pem", "rsa4096.cert.pem", []string{PS256, PS384, PS512}},
		{"rsa-pss-oracle.key.pem", "rsa-pss-oracle.cert.pem", []string{PS256, PS384, PS512}},
		{"chain-leaf.key.pem", "chain-leaf.cert.pem", []string{PS256}},
		{"ec-p256-sec1.key.pem", "ec-p256.cert.pem", []string{ES256}},
		{"ec-p384-sec1.key.pem", "ec-p384.cert.pem", []string{ES384}},
		{"ec-p521-pkcs8.key.pem", "ec-p521.cert.pem", []string{ES512}},
	}
	for _, tt := range tests {
		for _, alg := range tt.algs {
			t.Run(tt.key+"/"+alg, func(t *testing.T) {
				signer := fixtureKey(t, tt.key, "")
				cert := fixtureCert(t, tt.cert)
				warnings, err := Check(signer, cert, alg, inside(cert))
				require.NoError(t, err)
				assert.Empty(t, warnings)
				// Without a certificate, and behind an HSM/KMS-style signer.
				warnings, err = Check(kmsSigner{signer}, nil, alg, time.Time{})
				require.NoError(t, err)
				assert.Empty(t, warnings)
			})
		}
	}
}

func TestCheckRefusals(t *testing.T) {
	rsa3072 := fixtureKey(t, "rsa3072.key.pem", "")
	rsa3072Cert := fixtureCert(t, "rsa3072.cert.pem")
	p256 := fixtureKey(t, "ec-p256-sec1.key.pem", "")
	p384 := fixtureKey(t, "ec-p384-sec1.key.pem", "")
	p521 := fixtureKey(t, "ec-p521-sec1.key.pem", "")
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)

	// Validity cases openssl 3.0 cannot date: made here with the fixture key.
	expired := makeCert(t, rsa3072, "expired", testNow.AddDate(0, 0, -400), testNow.AddDate(0, 0, -35))
	future := makeCert(t, rsa3072, "future", testNow.AddDate(0, 0, 30), testNow.AddDate(0, 0, 300))

	tests := []struct {
		name     string
		signer   crypto.Signer
		cert     *x509.Certificate
		alg      string
		now      time.Time
		is       error
		contains []string
	}{
		{"RSA 2048", fixtureKey(t, "rsa2048.key.pem", ""), fixtureCert(t, "rsa2048.cert.pem"), PS256, testNow, ErrUnsupportedKey,
			[]string{"2048 bits", acceptedKeys}},
		{"RSA 2048 behind a KMS signer", pubOnlySigner{&rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 2047), E: 65537}}, nil, PS256, testNow, ErrUnsupportedKey,
			[]string{"2048 bits", acceptedKeys}},
		{"EC P-224", p224, nil, ES256, testNow, ErrUnsupportedKey, []string{"P-224", acceptedKeys}},
		{"Ed25519", fixtureKey(t, "ed25519.key.pem", ""), fixtureCert(t, "ed25519.cert.pem"), ES256, testNow, ErrUnsupportedKey,
			[]string{"Ed25519", acceptedKeys}},
		{"unknown key type", pubOnlySigner{"opaque"}, nil, PS256, testNow, ErrUnsupportedKey, []string{"string", acceptedKeys}},
		{"nil public key", pubOnlySigner{nil}, nil, PS256, testNow, ErrUnsupportedKey, []string{acceptedKeys}},
		{"empty RSA key", pubOnlySigner{&rsa.PublicKey{}}, nil, PS256, testNow, ErrUnsupportedKey, []string{acceptedKeys}},
		{"empty EC key", pubOnlySigner{&ecdsa.PublicKey{}}, nil, ES256, testNow, ErrUnsupportedKey, []string{acceptedKeys}},
		{"nil signer", nil, nil, PS256, testNow, ErrNoPrivateKey, []string{"LoadPEM"}},

		{"RS256", rsa3072, nil, "RS256", testNow, ErrUnsupportedAlg, []string{"500 server_error", "use PS256", "same key", "PS256, PS384, PS512, ES256, ES384, ES512"}},
		{"RS384", rsa3072, nil, "RS384", testNow, ErrUnsupportedAlg, []string{"500 server_error", "use PS384"}},
		{"rs512 lowercase", rsa3072, nil, "rs512", testNow, ErrUnsupportedAlg, []string{"500 server_error", "use PS512"}},
		{"RS256 with EC key", p256, nil, "RS256", testNow, ErrUnsupportedAlg, []string{"500 server_error", "use ES256"}},
		{"HS256", rsa3072, nil, "HS256", testNow, ErrUnsupportedAlg, []string{`"HS256"`, "PS256, PS384, PS512, ES256, ES384, ES512", "PS256 fits this key"}},
		{"none", p384, nil, "none", testNow, ErrUnsupportedAlg, []string{"PS256, PS384, PS512, ES256, ES384, ES512", "ES384 fits this key"}},
		{"EdDSA", p256, nil, "EdDSA", testNow, ErrUnsupportedAlg, []string{"PS256, PS384, PS512, ES256, ES384, ES512"}},
		{"ps256 lowercase", rsa3072, nil, "ps256", testNow, ErrUnsupportedAlg, []string{"case-sensitive", `"PS256"`}},
		{"empty alg", rsa3072, nil, "", testNow, ErrUnsupportedAlg, []string{"no alg", "PS256 fits", "DefaultAlg"}},
		{"PS256 with EC key", p256, nil, PS256, testNow, ErrUnsupportedAlg, []string{"needs an RSA key", "P-256", "use ES256"}},
		{"PS512 with EC P-521 key", p521, nil, PS512, testNow, ErrUnsupportedAlg, []string{"needs an RSA key", "use ES512"}},
		{"ES256 with RSA key", rsa3072, nil, ES256, testNow, ErrUnsupportedAlg, []string{"needs an EC key", "RSA key of 3072 bits", "PS256, PS384 or PS512"}},
		{"ES256 with P-384 key", p384, nil, ES256, testNow, ErrUnsupportedAlg, []string{"needs an EC key on P-256", "P-384", "use ES384"}},
		{"ES512 with P-256 key", p256, nil, ES512, testNow, ErrUnsupportedAlg, []string{"needs an EC key on P-521", "use ES256"}},
		{"ES384 with P-521 key", p521, nil, ES384, testNow, ErrUnsupportedAlg, []string{"needs an EC key on P-384", "use ES512"}},

		{"certificate of another key", rsa3072, fixtureCert(t, "rsa4096.cert.pem"), PS256, inside(fixtureCert(t, "rsa4096.cert.pem")), ErrKeyMismatch,
			[]string{"netsuite keys test rsa4096", "RSA key of 4096 bits", "RSA key of 3072 bits"}},
		{"EC certificate for RSA key", rsa3072, fixtureCert(t, "ec-p256.cert.pem"), PS256, testNow, ErrKeyMismatch, []string{"EC key on P-256"}},
		{"certificate of an unsupported key type", rsa3072, fixtureCert(t, "ed25519.cert.pem"), PS256, testNow, ErrKeyMismatch, []string{"Ed25519"}},
		{"expired certificate", rsa3072, expired, PS256, testNow, ErrCertificateExpired,
			[]string{"expired on " + expired.NotAfter.UTC().Format(time.RFC3339), "at most two years", "certificate ID"}},
		{"expired fixture certificate", rsa3072, rsa3072Cert, PS256, rsa3072Cert.NotAfter.Add(time.Second), ErrCertificateExpired,
			[]string{rsa3072Cert.NotAfter.UTC().Format(time.RFC3339)}},
		{"certificate not yet valid", rsa3072, future, PS256, testNow, ErrCertificateNotYetValid,
			[]string{"valid only from " + future.NotBefore.UTC().Format(time.RFC3339), "clock"}},
		{"fixture certificate not yet valid", rsa3072, rsa3072Cert, PS256, rsa3072Cert.NotBefore.Add(-time.Minute), ErrCertificateNotYetValid,
			[]string{rsa3072Cert.NotBefore.UTC().Format(time.RFC3339)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warnings, err := Check(tt.signer, tt.cert, tt.alg, tt.now)
			require.ErrorIs(t, err, tt.is)
			assert.Nil(t, warnings)
			for _, s := range tt.contains {
				assert.Contains(t, err.Error(), s)
			}
			assertErrorStyle(t, err)
		})
	}
}

// The sentinels stay distinct: no refusal matches another's sentinel.
func TestSentinelsDistinct(t *testing.T) {
	all := []error{ErrNotPKCS12, ErrNotPEM, ErrWrongPassword, ErrUnsupportedKey, ErrUnsupportedAlg, ErrKeyMismatch,
		ErrCertificateExpired, ErrCertificateNotYetValid, ErrNoPrivateKey, ErrEncryptedKey}
	for i, a := range all {
		assertErrorStyle(t, a)
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(a, b), "%v vs %v", a, b)
		}
	}
}

func TestCheckWarnings(t *testing.T) {
	rsa3072 := fixtureKey(t, "rsa3072.key.pem", "")
	day := 24 * time.Hour
	start := testNow.Add(-day)
	tests := []struct {
		name     string
		signer   crypto.Signer
		cert     *x509.Certificate
		contains []string // empty: no warning
	}{
		{"3-year openssl certificate", rsa3072, fixtureCert(t, "rsa3072-3y.cert.pem"), []string{"1095 days", "at most two years"}},
		{"730 days", rsa3072, makeCert(t, rsa3072, "730d", start, start.Add(730*day)), nil},
		{"731 days (slack)", rsa3072, makeCert(t, rsa3072, "731d", start, start.Add(731*day)), nil},
		{"732 days", rsa3072, makeCert(t, rsa3072, "732d", start, start.Add(732*day)), []string{"732 days"}},
		{"RSA 8192 key", pubOnlySigner{&rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 8191), E: 65537}}, nil, []string{"8192 bits", "3072 and 4096"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := testNow
			if tt.cert != nil {
				now = inside(tt.cert)
			}
			warnings, err := Check(tt.signer, tt.cert, PS256, now)
			require.NoError(t, err)
			if len(tt.contains) == 0 {
				assert.Empty(t, warnings)
				return
			}
			require.Len(t, warnings, 1)
			for _, s := range tt.contains {
				assert.Contains(t, warnings[0], s)
			}
			assert.True(t, strings.HasPrefix(warnings[0], "netsuite: "))
		})
	}
}

// The zero time means now; a certificate made around today passes.
func TestCheckZeroNow(t *testing.T) {
	k := fixtureKey(t, "ec-p256-sec1.key.pem", "")
	c := makeCert(t, k, "today", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	_, err := Check(k, c, ES256, time.Time{})
	require.NoError(t, err)
	old := makeCert(t, k, "old", time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	_, err = Check(k, old, ES256, time.Time{})
	require.ErrorIs(t, err, ErrCertificateExpired)
}

func TestThumbprint(t *testing.T) {
	cert := fixtureCert(t, "rsa3072.cert.pem")
	want := strings.TrimSpace(string(fixture(t, "rsa3072.cert.x5t256"))) // computed by openssl in gen.sh
	got := Thumbprint(cert)
	assert.Equal(t, want, got)
	assert.Len(t, got, 43)
	assert.NotContains(t, got, "=")
	assert.NotContains(t, got, "+")
	assert.NotContains(t, got, "/")
	assert.Equal(t, "", Thumbprint(nil))
	assert.NotEqual(t, got, Thumbprint(fixtureCert(t, "rsa3072-3y.cert.pem")))
}

func TestDescribeKey(t *testing.T) {
	assert.Equal(t, "an Ed25519 key", describeKey(ed25519.PublicKey(make([]byte, 32))))
	assert.Equal(t, "no key", describeKey(nil))
	assert.Equal(t, "an empty EC key", describeKey(&ecdsa.PublicKey{}))
}
