package netsuitetest_test

// Assertions here are built with golang-jwt directly (or by hand, for the
// malformed ones), never with the root package's ClientCredentials: the
// server's verifier is checked against an independent signer.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite/netsuitetest"
)

const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// m2mKey is a signing key with its certificate, generated once per process.
type m2mKey struct {
	key  crypto.Signer
	cert *x509.Certificate
}

var (
	keysOnce sync.Once
	keys     map[string]m2mKey // by "RSA", "P-256", "P-384", "P-521"
)

func testKeys(t testing.TB) map[string]m2mKey {
	keysOnce.Do(func() {
		keys = map[string]m2mKey{}
		gen := map[string]func() (crypto.Signer, error){
			"RSA":   func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 3072) },
			"P-256": func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) },
			"P-384": func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) },
			"P-521": func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P521(), rand.Reader) },
		}
		for name, g := range gen {
			k, err := g()
			if err != nil {
				panic(err)
			}
			keys[name] = m2mKey{key: k, cert: certificate(k, t0.Add(-24*time.Hour), t0.AddDate(1, 0, 0))}
		}
	})
	return keys
}

func certificate(k crypto.Signer, notBefore, notAfter time.Time) *x509.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "m2m test"},
		NotBefore:    notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return c
}

// algKey maps a JWS algorithm to the test key that signs it.
var algKey = map[string]string{
	"PS256": "RSA", "PS384": "RSA", "PS512": "RSA", "RS256": "RSA", "RS512": "RSA",
	"ES256": "P-256", "ES384": "P-384", "ES512": "P-521",
}

// fixture is a server at t0 with one M2M mapping per test key.
type fixture struct {
	srv   *netsuitetest.Server
	now   time.Time
	keys  map[string]m2mKey
	certs map[string]string // key name → certificate ID
}

const clientID = "5d8e8a0b7c3f4e21a9b6c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1"

func newFixture(t *testing.T) *fixture {
	f := &fixture{now: t0, keys: testKeys(t), certs: map[string]string{}}
	f.srv = netsuitetest.NewServer(netsuitetest.WithClock(func() time.Time { return f.now }))
	t.Cleanup(f.srv.Close)
	for name, k := range f.keys {
		id := "cert-" + strings.ToLower(name)
		f.certs[name] = id
		f.srv.AddM2M(netsuitetest.M2MClient{
			ClientID: clientID, CertificateID: id, Certificate: k.cert,
			Scopes: []string{"rest_webservices", "restlets"},
		})
	}
	return f
}

// setNow moves the server clock (tests are sequential within a fixture).
func (f *fixture) setNow(now time.Time) {
	f.srv.SetClock(func() time.Time { return now })
}

var jtiCounter struct {
	sync.Mutex
	n int
}

func newJTI() string {
	jtiCounter.Lock()
	defer jtiCounter.Unlock()
	jtiCounter.n++
	return "jti-" + time.Now().Format("150405.000000000") + "-" + big.NewInt(int64(jtiCounter.n)).String()
}

func (f *fixture) claims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":   clientID,
		"aud":   f.srv.TokenURL(),
		"scope": "rest_webservices",
		"iat":   f.now.Unix(),
		"exp":   f.now.Add(5 * time.Minute).Unix(),
		"jti":   newJTI(),
	}
}

// sign makes an assertion with golang-jwt for alg, with the kid of the
// matching key's certificate.
func (f *fixture) sign(t *testing.T, alg string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	tok.Header["kid"] = f.certs[algKey[alg]]
	s, err := tok.SignedString(f.keys[algKey[alg]].key)
	require.NoError(t, err)
	return s
}

// signingInput is header.payload, base64url, for hand-made signatures.
func signingInput(header map[string]any, claims jwt.MapClaims) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
}

func digest(h crypto.Hash, s string) []byte {
	d := h.New()
	io.WriteString(d, s)
	return d.Sum(nil)
}

type tokenAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func form(assertion string) url.Values {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {jwtBearer},
		"client_assertion":      {assertion},
	}
}

// post sends a token request with net/http; edit may change it.
func (f *fixture) post(t *testing.T, body string, edit func(*http.Request)) tokenAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.TokenURL(), strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := tokenAnswer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	require.NoError(t, json.Unmarshal(raw, &a.body), "token endpoint answers JSON: %s", raw)
	return a
}

func (f *fixture) exchange(t *testing.T, assertion string) tokenAnswer {
	t.Helper()
	return f.post(t, form(assertion).Encode(), nil)
}

func (f *fixture) lastReject() string {
	reqs := f.srv.Requests()
	return reqs[len(reqs)-1].Reject
}

func (f *fixture) get(t *testing.T, path, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

const catalog = "/services/rest/record/v1/metadata-catalog"

func TestClientCredentialsAlgorithms(t *testing.T) {
	f := newFixture(t)
	for _, alg := range []string{"PS256", "PS384", "PS512", "ES256", "ES384", "ES512"} {
		t.Run(alg, func(t *testing.T) {
			a := f.exchange(t, f.sign(t, alg, f.claims()))
			require.Equal(t, 200, a.status, "%s; reject: %s", a.raw, f.lastReject())
			assert.Equal(t, "bearer", a.body["token_type"])
			assert.Equal(t, "3600", a.body["expires_in"], "NetSuite sends expires_in as a JSON string")
			assert.NotContains(t, a.body, "refresh_token")
			tok, _ := a.body["access_token"].(string)
			assert.Len(t, tok, 43)
			_, err := base64.RawURLEncoding.DecodeString(tok)
			assert.NoError(t, err)
			assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
			assert.Equal(t, "application/json", a.header.Get("Content-Type"))

			resp := f.get(t, catalog, tok)
			assert.Equal(t, 200, resp.StatusCode)
			reqs := f.srv.Requests()
			last := reqs[len(reqs)-1]
			assert.Equal(t, "bearer", last.Auth)
			assert.Equal(t, tok, last.Token)
		})
	}
}

func TestClientCredentialsAccepted(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		claims func(jwt.MapClaims)
	}{
		{"aud as a one-element array", func(c jwt.MapClaims) { c["aud"] = []string{c["aud"].(string)} }},
		{"scope as an array", func(c jwt.MapClaims) { c["scope"] = []string{"rest_webservices", "restlets"} }},
		{"scope comma-separated", func(c jwt.MapClaims) { c["scope"] = "rest_webservices,restlets" }},
		{"scope comma and space", func(c jwt.MapClaims) { c["scope"] = "rest_webservices, restlets" }},
		{"scope space-separated", func(c jwt.MapClaims) { c["scope"] = "rest_webservices restlets" }},
		{"exp - iat = 3599", func(c jwt.MapClaims) { c["exp"] = c["iat"].(int64) + 3599 }},
		{"iat 60s ahead", func(c jwt.MapClaims) { c["iat"] = c["iat"].(int64) + 60 }},
		{"iat back-dated", func(c jwt.MapClaims) { c["iat"] = c["iat"].(int64) - 30 }},
		{"extra claims", func(c jwt.MapClaims) { c["sub"] = "x"; c["nbf"] = c["iat"] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.claims()
			tt.claims(c)
			a := f.exchange(t, f.sign(t, "PS256", c))
			assert.Equal(t, 200, a.status, "%s; reject: %s", a.raw, f.lastReject())
		})
	}
	t.Run("typ absent", func(t *testing.T) {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, f.claims())
		tok.Header["kid"] = f.certs["P-256"]
		delete(tok.Header, "typ")
		s, err := tok.SignedString(f.keys["P-256"].key)
		require.NoError(t, err)
		a := f.exchange(t, s)
		assert.Equal(t, 200, a.status, "%s; reject: %s", a.raw, f.lastReject())
	})
}

func TestClientCredentialsRejected(t *testing.T) {
	f := newFixture(t)
	good := func(t *testing.T) string { return f.sign(t, "ES256", f.claims()) }
	withClaims := func(alg string, edit func(jwt.MapClaims)) func(t *testing.T) string {
		return func(t *testing.T) string {
			c := f.claims()
			edit(c)
			return f.sign(t, alg, c)
		}
	}
	withHeader := func(edit func(*jwt.Token)) func(t *testing.T) string {
		return func(t *testing.T) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodES256, f.claims())
			tok.Header["kid"] = f.certs["P-256"]
			edit(tok)
			s, err := tok.SignedString(f.keys["P-256"].key)
			require.NoError(t, err)
			return s
		}
	}
	rsaKey := f.keys["RSA"].key.(*rsa.PrivateKey)
	p256 := f.keys["P-256"].key.(*ecdsa.PrivateKey)

	tests := []struct {
		name      string
		assertion func(t *testing.T) string
		body      func(assertion string) string // default: form(assertion).Encode()
		edit      func(*http.Request)
		status    int // default 400
		code      string
		reject    string // substring of Request.Reject
	}{
		// Request form.
		{name: "GET", assertion: good, edit: func(r *http.Request) { r.Method = http.MethodGet }, code: "invalid_request", reject: "not POST"},
		{name: "JSON body", assertion: good, edit: func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, code: "invalid_request", reject: "Content-Type"},
		{name: "no grant_type", assertion: good, body: func(a string) string { v := form(a); v.Del("grant_type"); return v.Encode() }, code: "invalid_request", reject: "no grant_type"},
		{name: "unknown grant_type", assertion: good, body: func(a string) string { v := form(a); v.Set("grant_type", "password"); return v.Encode() }, code: "unsupported_grant_type", reject: "password"},
		{name: "repeated parameter", assertion: good, body: func(a string) string { return form(a).Encode() + "&grant_type=client_credentials" }, code: "invalid_request", reject: "more than once"},
		{name: "Authorization header as well", assertion: good, edit: func(r *http.Request) { r.SetBasicAuth(clientID, "secret") }, code: "invalid_request", reject: "Authorization header"},
		{name: "client_secret as well", assertion: good, body: func(a string) string { v := form(a); v.Set("client_secret", "s"); return v.Encode() }, code: "invalid_request", reject: "client_secret"},
		{name: "no client_assertion_type", assertion: good, body: func(a string) string { v := form(a); v.Del("client_assertion_type"); return v.Encode() }, code: "invalid_request", reject: "no client_assertion_type"},
		{name: "wrong client_assertion_type", assertion: good, body: func(a string) string {
			v := form(a)
			v.Set("client_assertion_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
			return v.Encode()
		}, code: "invalid_request", reject: "client_assertion_type"},
		{name: "no client_assertion", assertion: good, body: func(a string) string { v := form(a); v.Del("client_assertion"); return v.Encode() }, code: "invalid_request", reject: "no client_assertion"},

		// JWS form and header.
		{name: "two segments", assertion: func(t *testing.T) string { s := good(t); return s[:strings.LastIndexByte(s, '.')] }, code: "invalid_client", reject: "3 dot-separated"},
		{name: "padded signature", assertion: func(t *testing.T) string { return good(t) + "==" }, code: "invalid_client", reject: "padding"},
		{name: "standard base64 alphabet", assertion: func(t *testing.T) string {
			s := good(t)
			i := strings.LastIndexByte(s, '.')
			return s[:i+1] + strings.NewReplacer("-", "+", "_", "/").Replace(s[i+1:]) + "+/"
		}, code: "invalid_client", reject: "not base64url"},
		{name: "typ JOSE", assertion: withHeader(func(tok *jwt.Token) { tok.Header["typ"] = "JOSE" }), code: "invalid_client", reject: "typ"},
		{name: "crit", assertion: withHeader(func(tok *jwt.Token) { tok.Header["crit"] = []string{"exp"} }), code: "invalid_client", reject: "crit"},
		{name: "no kid", assertion: withHeader(func(tok *jwt.Token) { delete(tok.Header, "kid") }), code: "invalid_client", reject: "no kid"},
		{name: "unknown kid", assertion: withHeader(func(tok *jwt.Token) { tok.Header["kid"] = "nope" }), code: "invalid_client", reject: "not a registered certificate ID"},
		{name: "kid of another certificate", assertion: withHeader(func(tok *jwt.Token) { tok.Header["kid"] = f.certs["P-384"] }), code: "invalid_client", reject: "P-384"},

		// Algorithms NetSuite answers with an opaque 500.
		{name: "RS256", assertion: withClaims("RS256", func(jwt.MapClaims) {}), status: 500, code: "server_error", reject: "RS256"},
		{name: "RS512", assertion: withClaims("RS512", func(jwt.MapClaims) {}), status: 500, code: "server_error", reject: "RS512"},
		{name: "HS256", assertion: func(t *testing.T) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, f.claims())
			tok.Header["kid"] = f.certs["RSA"]
			s, err := tok.SignedString([]byte("a shared secret of at least 32 bytes!"))
			require.NoError(t, err)
			return s
		}, status: 500, code: "server_error", reject: "HS256"},
		{name: "none", assertion: func(t *testing.T) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, f.claims())
			tok.Header["kid"] = f.certs["RSA"]
			s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			require.NoError(t, err)
			return s
		}, status: 500, code: "server_error", reject: "none"},

		// Signatures.
		{name: "PSS with a salt length other than the hash length", assertion: func(t *testing.T) string {
			in := signingInput(map[string]any{"alg": "PS256", "typ": "JWT", "kid": f.certs["RSA"]}, f.claims())
			sig, err := rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA256, digest(crypto.SHA256, in), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
			require.NoError(t, err)
			return in + "." + base64.RawURLEncoding.EncodeToString(sig)
		}, code: "invalid_client", reject: "salt length"},
		{name: "ECDSA signature DER-encoded", assertion: func(t *testing.T) string {
			in := signingInput(map[string]any{"alg": "ES256", "typ": "JWT", "kid": f.certs["P-256"]}, f.claims())
			sig, err := ecdsa.SignASN1(rand.Reader, p256, digest(crypto.SHA256, in))
			require.NoError(t, err)
			return in + "." + base64.RawURLEncoding.EncodeToString(sig)
		}, code: "invalid_client", reject: "DER"},
		{name: "ES384 header on a P-256 key", assertion: func(t *testing.T) string {
			in := signingInput(map[string]any{"alg": "ES384", "typ": "JWT", "kid": f.certs["P-256"]}, f.claims())
			r, s, err := ecdsa.Sign(rand.Reader, p256, digest(crypto.SHA384, in))
			require.NoError(t, err)
			sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
			return in + "." + base64.RawURLEncoding.EncodeToString(sig)
		}, code: "invalid_client", reject: "P-384 key"},
		{name: "PS256 header on an EC key", assertion: withHeader(func(tok *jwt.Token) { tok.Header["alg"] = "PS256" }), code: "invalid_client", reject: "needs an RSA key"},
		{name: "payload changed after signing", assertion: func(t *testing.T) string {
			parts := strings.Split(good(t), ".")
			c := f.claims()
			c["scope"] = "rest_webservices,restlets"
			b, _ := json.Marshal(c)
			parts[1] = base64.RawURLEncoding.EncodeToString(b)
			return strings.Join(parts, ".")
		}, code: "invalid_client", reject: "does not verify"},

		// Claims.
		{name: "wrong iss", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["iss"] = "someone-else" }), code: "invalid_client", reject: "iss"},
		{name: "no iss", assertion: withClaims("ES256", func(c jwt.MapClaims) { delete(c, "iss") }), code: "invalid_client", reject: "iss"},
		{name: "aud with a trailing slash", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["aud"] = f.srv.TokenURL() + "/" }), code: "invalid_client", reject: "aud"},
		{name: "aud is the REST base URL", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["aud"] = f.srv.URL + "/services/rest/record/v1" }), code: "invalid_client", reject: "aud"},
		{name: "aud is the NetSuite production URL", assertion: withClaims("ES256", func(c jwt.MapClaims) {
			c["aud"] = "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"
		}), code: "invalid_client", reject: "aud"},
		{name: "aud array of two", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["aud"] = []string{f.srv.TokenURL(), "x"} }), code: "invalid_client", reject: "aud"},
		{name: "no aud", assertion: withClaims("ES256", func(c jwt.MapClaims) { delete(c, "aud") }), code: "invalid_client", reject: "aud"},
		{name: "no scope", assertion: withClaims("ES256", func(c jwt.MapClaims) { delete(c, "scope") }), code: "invalid_scope", reject: "no scope"},
		{name: "empty scope", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["scope"] = "" }), code: "invalid_scope", reject: "empty"},
		{name: "scope not enabled", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["scope"] = "rest_webservices,suite_analytics" }), code: "invalid_scope", reject: "suite_analytics"},
		{name: "unknown scope", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["scope"] = []string{"bogus"} }), code: "invalid_scope", reject: "bogus"},
		{name: "scope a number", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["scope"] = 1 }), code: "invalid_scope", reject: "neither"},
		{name: "no iat", assertion: withClaims("ES256", func(c jwt.MapClaims) { delete(c, "iat") }), code: "invalid_grant", reject: "no iat"},
		{name: "iat a string", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["iat"] = "1773500966" }), code: "invalid_grant", reject: "iat"},
		{name: "iat 61s in the future", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["iat"] = c["iat"].(int64) + 61 }), code: "invalid_grant", reject: "ahead"},
		{name: "no exp", assertion: withClaims("ES256", func(c jwt.MapClaims) { delete(c, "exp") }), code: "invalid_grant", reject: "no exp"},
		{name: "expired", assertion: withClaims("ES256", func(c jwt.MapClaims) {
			c["iat"] = c["iat"].(int64) - 600
			c["exp"] = c["iat"].(int64) + 300
		}), code: "invalid_grant", reject: "before the server clock"},
		{name: "exp = now", assertion: withClaims("ES256", func(c jwt.MapClaims) {
			c["iat"] = c["iat"].(int64) - 10
			c["exp"] = f.now.Unix()
		}), code: "invalid_grant", reject: "before the server clock"},
		{name: "exp - iat = 3600", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["exp"] = c["iat"].(int64) + 3600 }), code: "invalid_grant", reject: "less than 3600"},
		{name: "exp before iat", assertion: withClaims("ES256", func(c jwt.MapClaims) {
			c["iat"] = c["iat"].(int64) + 50
			c["exp"] = c["iat"].(int64) - 20
		}), code: "invalid_grant", reject: "exp <= iat"},
		{name: "no jti", assertion: withClaims("ES256", func(c jwt.MapClaims) { delete(c, "jti") }), code: "invalid_grant", reject: "jti"},
		{name: "empty jti", assertion: withClaims("ES256", func(c jwt.MapClaims) { c["jti"] = "" }), code: "invalid_grant", reject: "jti"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.assertion(t)
			body := form(a).Encode()
			if tt.body != nil {
				body = tt.body(a)
			}
			got := f.post(t, body, tt.edit)
			want := tt.status
			if want == 0 {
				want = 400
			}
			assert.Equal(t, want, got.status, got.raw)
			assert.Equal(t, tt.code, got.body["error"], got.raw)
			assert.Equal(t, "no-store", got.header.Get("Cache-Control"))
			assert.Equal(t, "application/json", got.header.Get("Content-Type"))
			assert.NotContains(t, got.body, "access_token")
			if want == 500 {
				assert.JSONEq(t, `{"error":"server_error"}`, got.raw, "NetSuite's 500 is opaque")
			} else {
				assert.NotEmpty(t, got.body["error_description"])
			}
			assert.Contains(t, f.lastReject(), tt.reject)
		})
	}
	t.Run("exp - iat = 3600 description mentions 60 minutes", func(t *testing.T) {
		c := f.claims()
		c["exp"] = c["iat"].(int64) + 3600
		got := f.exchange(t, f.sign(t, "PS256", c))
		assert.Contains(t, got.body["error_description"], "60 minutes")
	})
}

func TestClientCredentialsJTIReuse(t *testing.T) {
	f := newFixture(t)
	c := f.claims()
	a := f.sign(t, "ES256", c)
	assert.Equal(t, 200, f.exchange(t, a).status)
	got := f.exchange(t, a)
	assert.Equal(t, 400, got.status)
	assert.Equal(t, "invalid_grant", got.body["error"])
	assert.Contains(t, f.lastReject(), "already used")

	// Same jti, new signature and times: still a reuse.
	f.setNow(t0.Add(time.Minute))
	c2 := jwt.MapClaims{}
	for k, v := range c {
		c2[k] = v
	}
	c2["iat"], c2["exp"] = t0.Add(time.Minute).Unix(), t0.Add(6*time.Minute).Unix()
	got = f.exchange(t, f.sign(t, "PS256", c2))
	assert.Equal(t, "invalid_grant", got.body["error"])

	// Another client may use the same jti.
	f.srv.AddM2M(netsuitetest.M2MClient{ClientID: "other-client", CertificateID: "other-cert", Certificate: f.keys["P-384"].cert})
	c2["iss"] = "other-client"
	tok := jwt.NewWithClaims(jwt.SigningMethodES384, c2)
	tok.Header["kid"] = "other-cert"
	s, err := tok.SignedString(f.keys["P-384"].key)
	require.NoError(t, err)
	got = f.exchange(t, s)
	assert.Equal(t, 200, got.status, "%s; reject: %s", got.raw, f.lastReject())

	reqs := f.srv.Requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, reqs[0].AssertionJTI, reqs[1].AssertionJTI)
	assert.Equal(t, c["jti"], reqs[0].AssertionJTI)
}

func TestClientCredentialsCertificateValidity(t *testing.T) {
	f := newFixture(t)
	k := f.keys["P-256"]
	f.srv.AddM2M(netsuitetest.M2MClient{ClientID: clientID, CertificateID: "expired",
		Certificate: certificate(k.key, t0.AddDate(-1, 0, 0), t0.Add(-time.Second))})
	f.srv.AddM2M(netsuitetest.M2MClient{ClientID: clientID, CertificateID: "future",
		Certificate: certificate(k.key, t0.Add(time.Hour), t0.AddDate(1, 0, 0))})
	for _, kid := range []string{"expired", "future"} {
		t.Run(kid, func(t *testing.T) {
			tok := jwt.NewWithClaims(jwt.SigningMethodES256, f.claims())
			tok.Header["kid"] = kid
			s, err := tok.SignedString(k.key)
			require.NoError(t, err)
			got := f.exchange(t, s)
			assert.Equal(t, 400, got.status)
			assert.Equal(t, "invalid_grant", got.body["error"])
			assert.Contains(t, f.lastReject(), "certificate")
		})
	}
}

func TestBearerToken(t *testing.T) {
	f := newFixture(t)
	issue := func(t *testing.T, scope any) (string, tokenAnswer) {
		c := f.claims()
		c["iat"], c["exp"] = f.srv.Now().Unix(), f.srv.Now().Add(5*time.Minute).Unix()
		c["scope"] = scope
		a := f.exchange(t, f.sign(t, "ES256", c))
		require.Equal(t, 200, a.status, "%s; reject: %s", a.raw, f.lastReject())
		return a.body["access_token"].(string), a
	}
	assertInvalidToken := func(t *testing.T, resp *http.Response, reject string) {
		t.Helper()
		assert.Equal(t, 401, resp.StatusCode)
		assert.Equal(t, `Bearer realm="1234567_SB1", error="invalid_token", error_description="Invalid login attempt."`,
			resp.Header.Get("WWW-Authenticate"))
		assert.Contains(t, f.lastReject(), reject)
	}

	t.Run("scopes", func(t *testing.T) {
		rest, _ := issue(t, "rest_webservices")
		assert.Equal(t, 200, f.get(t, catalog, rest).StatusCode)
		assert.Equal(t, 200, f.get(t, "/services/rest/record/v1/customer/107", rest).StatusCode)
		assertInvalidToken(t, f.get(t, "/app/site/hosting/restlet.nl?script=1&deploy=1", rest), "lack restlets")

		restlets, _ := issue(t, []string{"restlets"})
		assert.Equal(t, 200, f.get(t, "/app/site/hosting/restlet.nl?script=1&deploy=1", restlets).StatusCode)
		assertInvalidToken(t, f.get(t, catalog, restlets), "lack rest_webservices")

		both, _ := issue(t, "rest_webservices,restlets")
		assert.Equal(t, 200, f.get(t, catalog, both).StatusCode)
		assert.Equal(t, 200, f.get(t, "/app/site/hosting/restlet.nl?script=1&deploy=1", both).StatusCode)
	})

	t.Run("unknown token", func(t *testing.T) {
		assertInvalidToken(t, f.get(t, catalog, "not-a-token"), "unknown access token")
	})

	t.Run("expiry by the server clock", func(t *testing.T) {
		f.srv.SetAccessTokenLifetime(2 * time.Minute)
		defer f.srv.SetAccessTokenLifetime(0)
		start := f.srv.Now()
		tok, a := issue(t, "rest_webservices")
		assert.Equal(t, "120", a.body["expires_in"])
		f.setNow(start.Add(119 * time.Second))
		assert.Equal(t, 200, f.get(t, catalog, tok).StatusCode)
		f.setNow(start.Add(120 * time.Second))
		assertInvalidToken(t, f.get(t, catalog, tok), "expired")
		f.setNow(start)
		assert.Equal(t, 200, f.get(t, catalog, tok).StatusCode, "the server clock decides")
	})

	t.Run("revoked", func(t *testing.T) {
		tok, _ := issue(t, "rest_webservices")
		other, _ := issue(t, "rest_webservices")
		assert.Equal(t, 200, f.get(t, catalog, tok).StatusCode)
		f.srv.RevokeAccessToken(tok)
		assertInvalidToken(t, f.get(t, catalog, tok), "revoked")
		assert.Equal(t, 200, f.get(t, catalog, other).StatusCode, "other tokens still work")
	})

	t.Run("expires_in as a number", func(t *testing.T) {
		f.srv.SetExpiresInNumber(true)
		defer f.srv.SetExpiresInNumber(false)
		_, a := issue(t, "rest_webservices")
		assert.Equal(t, float64(3600), a.body["expires_in"])
	})
}

func TestTokenEndpointRecordAndCount(t *testing.T) {
	f := newFixture(t)
	assert.Equal(t, f.srv.URL+"/services/rest/auth/oauth2/v1/token", f.srv.TokenURL())
	c := f.claims()
	ok := f.exchange(t, f.sign(t, "PS256", c))
	require.Equal(t, 200, ok.status)
	f.post(t, "grant_type=password", nil)
	f.srv.FailNext(1, 503, "")
	req, _ := http.NewRequest(http.MethodPost, f.srv.TokenURL(), strings.NewReader(form(f.sign(t, "PS256", f.claims())).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 503, resp.StatusCode, "injected faults come first, at the token endpoint too")
	f.exchange(t, f.sign(t, "RS256", f.claims()))

	assert.Equal(t, 3, f.srv.TokenRequests(), "the faulted request never reached the endpoint")
	reqs := f.srv.Requests()
	require.Len(t, reqs, 4)
	for _, r := range reqs {
		assert.Equal(t, netsuitetest.TokenPath, r.Path)
		assert.Equal(t, "", r.Auth)
	}
	assert.Equal(t, "client_credentials", reqs[0].Grant)
	assert.Equal(t, f.certs["RSA"], reqs[0].Kid)
	assert.Equal(t, c["jti"], reqs[0].AssertionJTI)
	assert.Equal(t, ok.body["access_token"], reqs[0].Token)
	assert.Equal(t, 200, reqs[0].Status)
	assert.Empty(t, reqs[0].Reject)
	assert.Equal(t, "password", reqs[1].Grant)
	assert.NotEmpty(t, reqs[1].Reject)
	assert.Equal(t, 503, reqs[2].Status)
	assert.Equal(t, 500, reqs[3].Status)
	assert.Contains(t, reqs[3].Reject, "RS256")
}

func TestDefaultClientCredentials(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cc := srv.ClientCredentials()
	assert.Equal(t, cc, srv.ClientCredentials(), "made once")
	assert.Empty(t, cc.TokenURL)
	require.NotEmpty(t, cc.ClientID)
	require.NotEmpty(t, cc.CertificateID)
	require.NotNil(t, cc.Certificate)
	pub, ok := cc.Key.Public().(*ecdsa.PublicKey)
	require.True(t, ok)
	assert.Equal(t, elliptic.P256(), pub.Curve)
	assert.True(t, pub.Equal(cc.Certificate.PublicKey))
	now := srv.Now()
	assert.True(t, cc.Certificate.NotAfter.After(now.AddDate(1, 0, -1)))
	assert.False(t, cc.Certificate.NotBefore.After(now))

	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": cc.ClientID, "aud": srv.URL + "/services/rest/auth/oauth2/v1/token", "scope": "rest_webservices",
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": newJTI(),
	})
	tok.Header["kid"] = cc.CertificateID
	s, err := tok.SignedString(cc.Key)
	require.NoError(t, err)
	resp, err := http.PostForm(srv.TokenURL(), form(s))
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, 200, resp.StatusCode, "%v", body)

	req, _ := http.NewRequest(http.MethodGet, srv.URL+catalog, nil)
	req.Header.Set("Authorization", "Bearer "+body["access_token"].(string))
	resp2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp2.Body.Close()
	assert.Equal(t, 200, resp2.StatusCode)
}

// TestTokenEndpointTLSAudience checks that aud follows the URL as received:
// https when the request came over TLS, and the Host header.
func TestTokenEndpointTLSAudience(t *testing.T) {
	srv := netsuitetest.NewHandler()
	cc := srv.ClientCredentials()
	const tokenURL = "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"
	for _, aud := range []string{tokenURL, strings.Replace(tokenURL, "https:", "http:", 1)} {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": cc.ClientID, "aud": aud, "scope": "rest_webservices",
			"iat": srv.Now().Unix(), "exp": srv.Now().Add(time.Minute).Unix(), "jti": newJTI(),
		})
		tok.Header["kid"] = cc.CertificateID
		s, err := tok.SignedString(cc.Key)
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form(s).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if aud == tokenURL {
			assert.Equal(t, 200, w.Code, w.Body.String())
		} else {
			assert.Equal(t, 400, w.Code, w.Body.String())
		}
	}
}

// FuzzVerifyJWS posts arbitrary compact JWS strings as client assertions:
// the hand-written verifier and the claim checks must never panic, must
// answer 200, 400 or the opaque 500, and must never issue a token for an
// assertion that is not a correctly signed one.
func FuzzVerifyJWS(f *testing.F) {
	now := time.Unix(1773500966, 0)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(f, err)
	cert := certificate(key, now.Add(-time.Hour), now.Add(time.Hour))
	const tokenURL = "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"
	claims := jwt.MapClaims{"iss": "fuzz", "aud": tokenURL, "scope": "rest_webservices", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": "1"}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = "fuzz-cert"
	valid, err := tok.SignedString(key)
	require.NoError(f, err)
	f.Add(valid)
	f.Add(valid + "=")
	f.Add(strings.Replace(valid, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("e30.e30.e30")
	f.Add("bnVsbA.bnVsbA.")
	f.Add("..")
	f.Add("")
	parts := strings.Split(valid, ".")
	f.Add(parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"fuzz","aud":["`+tokenURL+`"],"scope":[1],"iat":1e400,"exp":-1,"jti":null}`)) + "." + parts[2])
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"fuzz-cert","kid":"x"}`)) + "." + parts[1] + "." + parts[2])
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"PS256","kid":"fuzz-cert"}`)) + "." + parts[1] + "." + parts[2])

	f.Fuzz(func(t *testing.T, assertion string) {
		srv := netsuitetest.NewHandler(netsuitetest.WithClock(func() time.Time { return now }))
		srv.AddM2M(netsuitetest.M2MClient{ClientID: "fuzz", CertificateID: "fuzz-cert", Certificate: cert})
		req := httptest.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form(assertion).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		var body map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
		switch w.Code {
		case 200:
			// Only a correctly signed ES256 assertion can succeed; check it
			// independently with golang-jwt.
			_, err := jwt.Parse(assertion, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
				jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(func() time.Time { return now }))
			assert.NoError(t, err, "server issued a token for %q", assertion)
		case 400:
			assert.NotEmpty(t, body["error"])
		case 500:
			assert.Equal(t, map[string]any{"error": "server_error"}, body)
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	})
}
