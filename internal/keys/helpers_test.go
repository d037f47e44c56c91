package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Passwords of the fixtures (see testdata/keys/gen.sh). Test-only.
const (
	fixturePassword  = "test-password"
	nonASCIIPassword = "pässwörd-日本"
)

const fixtureDir = "../../testdata/keys"

// fixture reads testdata/keys/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	require.NoError(t, err)
	return b
}

// fixtureCert loads the single certificate of a PEM fixture.
func fixtureCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	s, certs, err := LoadPEM(fixture(t, name), "")
	require.NoError(t, err)
	require.Nil(t, s)
	require.NotEmpty(t, certs)
	return certs[0]
}

// fixtureKey loads the private key of a PEM fixture.
func fixtureKey(t testing.TB, name, password string) crypto.Signer {
	t.Helper()
	s, _, err := LoadPEM(fixture(t, name), password)
	require.NoError(t, err)
	require.NotNil(t, s)
	return s
}

// inside returns an instant inside cert's validity window that does not
// depend on today's date, so tests keep passing after the fixtures expire.
func inside(cert *x509.Certificate) time.Time {
	return cert.NotBefore.Add(time.Hour)
}

// assertErrorStyle checks the error conventions of this package: a
// "netsuite: " prefix, a lowercase first word, and no password in the text.
func assertErrorStyle(t *testing.T, err error, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	require.True(t, strings.HasPrefix(msg, "netsuite: "), "message %q lacks the netsuite: prefix", msg)
	first := []rune(strings.TrimPrefix(msg, "netsuite: "))
	require.NotEmpty(t, first)
	assert.False(t, unicode.IsUpper(first[0]), "message %q should start lowercase", msg)
	assert.NotContains(t, msg, "netsuite: netsuite:", "doubled prefix")
	for _, s := range secrets {
		if s != "" {
			assert.NotContains(t, msg, s, "message reveals a secret")
		}
	}
}

// makeCert creates a self-signed certificate for signer valid from
// notBefore to notAfter, for the validity cases openssl 3.0 cannot date.
func makeCert(t testing.TB, signer crypto.Signer, cn string, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"suitekit test fixtures"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

// kmsSigner stands for an HSM or KMS key: only Public and Sign are known.
type kmsSigner struct{ inner crypto.Signer }

func (k kmsSigner) Public() crypto.PublicKey { return k.inner.Public() }
func (k kmsSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return k.inner.Sign(r, d, o)
}

// pubOnlySigner is a crypto.Signer that exposes only a public key.
type pubOnlySigner struct{ pub crypto.PublicKey }

func (p pubOnlySigner) Public() crypto.PublicKey { return p.pub }
func (p pubOnlySigner) Sign(_ io.Reader, _ []byte, _ crypto.SignerOpts) ([]byte, error) {
	return nil, nil
}

// describe is a short key description for assertions.
func describe(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RSA-" + big.NewInt(int64(k.N.BitLen())).String()
	case *ecdsa.PublicKey:
		return k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return "?"
}
