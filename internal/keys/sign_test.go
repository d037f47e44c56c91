package keys

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every loaded key signs a client assertion that verifies with its
// certificate's public key, for each algorithm NetSuite accepts.
func TestSignWithLoadedKeys(t *testing.T) {
	type loaded struct {
		name   string
		signer crypto.Signer
		cert   *x509.Certificate
	}
	var keys []loaded
	pemKey := func(key, pw, cert string) {
		keys = append(keys, loaded{key, fixtureKey(t, key, pw), fixtureCert(t, cert)})
	}
	pfx := func(file, pw string) {
		s, leaf, _, err := LoadPKCS12(fixture(t, file), pw)
		require.NoError(t, err, file)
		keys = append(keys, loaded{file, s, leaf})
	}
	pemKey("rsa3072.key.pem", "", "rsa3072.cert.pem")
	pemKey("rsa4096-pkcs1.key.pem", "", "rsa4096.cert.pem")
	pemKey("rsa-pss-oracle.key.pem", "", "rsa-pss-oracle.cert.pem")
	pemKey("rsa3072-enc-aes256.key.pem", fixturePassword, "rsa3072.cert.pem")
	pemKey("ec-p256-sec1.key.pem", "", "ec-p256.cert.pem")
	pemKey("ec-p256-pkcs8.key.pem", "", "ec-p256.cert.pem")
	pemKey("ec-p384-sec1.key.pem", "", "ec-p384.cert.pem")
	pemKey("ec-p384-enc-aes128-sha512.key.pem", fixturePassword, "ec-p384.cert.pem")
	pemKey("ec-p521-pkcs8.key.pem", "", "ec-p521.cert.pem")
	pemKey("ec-p521-enc-des3.key.pem", fixturePassword, "ec-p521.cert.pem")
	pfx("rsa3072-openssl3.pfx", fixturePassword)
	pfx("rsa3072-legacy.pfx", fixturePassword)
	pfx("rsa3072-nonascii.pfx", nonASCIIPassword)
	pfx("rsa-pss-oracle.pfx", fixturePassword)
	pfx("chain.pfx", fixturePassword)
	pfx("ec-p256.pfx", fixturePassword)
	pfx("ec-p384-legacy.pfx", fixturePassword)
	pfx("ec-p521.pfx", fixturePassword)

	methods := map[string]jwt.SigningMethod{
		PS256: jwt.SigningMethodPS256, PS384: jwt.SigningMethodPS384, PS512: jwt.SigningMethodPS512,
		ES256: jwt.SigningMethodES256, ES384: jwt.SigningMethodES384, ES512: jwt.SigningMethodES512,
	}
	ecSigLen := map[string]int{ES256: 64, ES384: 96, ES512: 132}
	covered := map[string]bool{}

	for _, k := range keys {
		algs := []string{PS256, PS384, PS512}
		if _, ok := k.signer.Public().(*rsa.PublicKey); !ok {
			alg, err := DefaultAlg(k.signer.Public())
			require.NoError(t, err)
			algs = []string{alg}
		}
		for _, alg := range algs {
			t.Run(k.name+"/"+alg, func(t *testing.T) {
				now := inside(k.cert)
				_, err := Check(k.signer, k.cert, alg, now)
				require.NoError(t, err)

				tok := jwt.NewWithClaims(methods[alg], jwt.MapClaims{
					"iss":   "client-id",
					"scope": "rest_webservices",
					"aud":   "https://123456.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token",
					"iat":   now.Unix(),
					"exp":   now.Add(30 * time.Minute).Unix(),
					"jti":   "test-" + k.name + "-" + alg,
				})
				tok.Header["kid"] = "certificate-id"
				tok.Header["x5t#256"] = Thumbprint(k.cert)
				signed, err := tok.SignedString(k.signer)
				require.NoError(t, err)

				parsed, err := jwt.Parse(signed, func(*jwt.Token) (any, error) { return k.cert.PublicKey, nil },
					jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(func() time.Time { return now }))
				require.NoError(t, err)
				assert.True(t, parsed.Valid)
				assert.Equal(t, Thumbprint(k.cert), parsed.Header["x5t#256"])

				parts := strings.Split(signed, ".")
				require.Len(t, parts, 3)
				sig, err := base64.RawURLEncoding.DecodeString(parts[2])
				require.NoError(t, err)
				if n, ok := ecSigLen[alg]; ok {
					assert.Len(t, sig, n, "ES signatures are raw R||S")
				} else {
					// Strict JWS verifiers want salt length = hash length.
					h, digest := crypto.SHA256, sha256.Sum256([]byte(parts[0]+"."+parts[1]))
					d := digest[:]
					switch alg {
					case PS384:
						s := sha512.Sum384([]byte(parts[0] + "." + parts[1]))
						h, d = crypto.SHA384, s[:]
					case PS512:
						s := sha512.Sum512([]byte(parts[0] + "." + parts[1]))
						h, d = crypto.SHA512, s[:]
					}
					err := rsa.VerifyPSS(k.cert.PublicKey.(*rsa.PublicKey), h, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
					require.NoError(t, err)
				}
				covered[alg] = true
			})
		}
	}
	for alg := range methods {
		assert.True(t, covered[alg], "no key signed with %s", alg)
	}
}
