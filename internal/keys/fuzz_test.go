package keys

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedFixtures adds every fixture ending in ext to the fuzz corpus, with
// the passwords the fixtures use.
func seedFixtures(f *testing.F, ext string) {
	names, err := filepath.Glob(filepath.Join(fixtureDir, "*"+ext))
	require.NoError(f, err)
	require.NotEmpty(f, names)
	for _, name := range names {
		data, err := os.ReadFile(name)
		require.NoError(f, err)
		for _, pw := range []string{"", fixturePassword, nonASCIIPassword} {
			f.Add(data, pw)
		}
	}
	f.Add([]byte{}, "")
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"), "")
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x03}, "x")
}

// checkFuzzError applies the error conventions to a fuzzed failure.
func checkFuzzError(t *testing.T, err error, data []byte, password string) {
	msg := err.Error()
	if !strings.HasPrefix(msg, "netsuite: ") {
		t.Fatalf("error lacks the netsuite: prefix: %q", msg)
	}
	// A password long enough not to appear by chance, and absent from the
	// data (whose PEM block types and subjects may be quoted), must never
	// appear in a message.
	if len(password) >= 12 && !bytes.Contains(data, []byte(password)) && strings.Contains(msg, password) {
		t.Fatalf("error reveals the password: %q", msg)
	}
}

func FuzzLoadPEM(f *testing.F) {
	seedFixtures(f, ".pem")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		signer, certs, err := LoadPEM(data, password)
		if err != nil {
			checkFuzzError(t, err, data, password)
			if signer != nil || certs != nil {
				t.Fatalf("results returned with an error: %v", err)
			}
			return
		}
		if signer == nil && len(certs) == 0 {
			t.Fatal("no error, but neither key nor certificate")
		}
		if signer != nil {
			if signer.Public() == nil {
				t.Fatal("signer without public key")
			}
			if len(certs) > 0 && !publicKeysEqual(signer.Public(), certs[0].PublicKey) {
				t.Fatal("first certificate does not match the key")
			}
		}
		for _, c := range certs {
			if c == nil {
				t.Fatal("nil certificate")
			}
			_ = Thumbprint(c)
		}
	})
}

func FuzzLoadPKCS12(f *testing.F) {
	seedFixtures(f, ".pfx")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		signer, leaf, cas, err := LoadPKCS12(data, password)
		if err != nil {
			checkFuzzError(t, err, data, password)
			if signer != nil || leaf != nil || cas != nil {
				t.Fatalf("results returned with an error: %v", err)
			}
			return
		}
		if signer == nil || leaf == nil {
			t.Fatal("no error, but no key or no leaf")
		}
		if !publicKeysEqual(signer.Public(), leaf.PublicKey) {
			t.Fatal("leaf does not match the key")
		}
	})
}

// Garbage is refused by both loaders, with the "wrong loader" hints.
func TestGarbage(t *testing.T) {
	for _, data := range [][]byte{
		nil, {0}, []byte("garbage"), bytes.Repeat([]byte{0xff}, 1024), {0x30, 0x03, 0x02, 0x01, 0x03},
		[]byte("-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n"),
	} {
		_, _, err := LoadPEM(data, "")
		assert.Error(t, err)
		_, _, _, err = LoadPKCS12(data, "")
		assert.ErrorIs(t, err, ErrNotPKCS12)
	}
}
