package netsuite_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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

	"github.com/suitekit/netsuite"
)

// tokenEndpoint is a stand-in token endpoint that records what it gets.
type tokenEndpoint struct {
	mu      sync.Mutex
	forms   []url.Values
	headers []http.Header
	answer  func(n int) (int, string)
}

func (te *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	te.mu.Lock()
	te.forms = append(te.forms, r.PostForm)
	te.headers = append(te.headers, r.Header.Clone())
	n := len(te.forms)
	te.mu.Unlock()
	code, body := 200, fmt.Sprintf(`{"access_token":"tok-%d","token_type":"bearer","expires_in":"3600"}`, n)
	if te.answer != nil {
		code, body = te.answer(n)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

func (te *tokenEndpoint) count() int {
	te.mu.Lock()
	defer te.mu.Unlock()
	return len(te.forms)
}

// newCCConnection returns a Connection whose token endpoint is te and whose
// API requests go to rec.
func newCCConnection(t *testing.T, cc netsuite.ClientCredentials, te *tokenEndpoint, api http.Handler) (*netsuite.Connection, string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/services/rest/auth/oauth2/v1/token", te)
	if api != nil {
		mux.Handle("/", api)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	conn, err := netsuite.NewConnection(netsuite.Config{BaseURL: srv.URL, AccountID: "1234567_SB1", Auth: cc})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn, srv.URL
}

func decodeSegment(t *testing.T, s string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err, "segments are unpadded base64url")
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// verifyJWS checks a compact JWS by RFC 7518 directly, without golang-jwt:
// PSS with salt length = hash length, ECDSA as fixed-size R‖S.
func verifyJWS(t *testing.T, token string, pub crypto.PublicKey) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	alg := decodeSegment(t, parts[0])["alg"].(string)
	hash := map[string]crypto.Hash{"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}[alg[2:]]
	h := hash.New()
	h.Write([]byte(parts[0] + "." + parts[1]))
	digest := h.Sum(nil)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		require.True(t, strings.HasPrefix(alg, "PS"))
		require.NoError(t, rsa.VerifyPSS(k, hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: hash}),
			"PSS signature with salt length = hash length")
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		require.Len(t, sig, 2*size, "ES signatures are raw R‖S")
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		require.True(t, ecdsa.Verify(k, digest, r, s))
	default:
		t.Fatalf("unexpected key %T", pub)
	}
}

func TestClientCredentialsAssertion(t *testing.T) {
	tests := []struct{ alg, key string }{
		{"PS256", "rsa3072.key.pem"},
		{"PS384", "rsa3072.key.pem"},
		{"PS512", "rsa4096-pkcs1.key.pem"},
		{"ES256", "ec-p256-sec1.key.pem"},
		{"ES384", "ec-p384-pkcs8.key.pem"},
		{"ES512", "ec-p521-sec1.key.pem"},
		{"PS256", "rsa-pss-oracle.key.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.alg+"/"+tt.key, func(t *testing.T) {
			key, cert := loadFreshKey(t, tt.key)
			te := &tokenEndpoint{}
			alg := tt.alg
			if alg == "PS256" || alg == "ES256" || alg == "ES512" {
				alg = "" // the default by key type must pick it
			}
			conn, base := newCCConnection(t, netsuite.ClientCredentials{
				ClientID: "client-123", CertificateID: "cert-abc", Key: key, Certificate: cert, Algorithm: alg,
			}, te, nil)
			tok, err := conn.TokenSource().Token()
			require.NoError(t, err)
			assert.Equal(t, "tok-1", tok.AccessToken)
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, 5*time.Second, "expires_in as a string")

			require.Equal(t, 1, te.count())
			form, hdr := te.forms[0], te.headers[0]
			assert.Equal(t, []string{"client_assertion", "client_assertion_type", "grant_type"}, sortedKeys(form))
			assert.Equal(t, "client_credentials", form.Get("grant_type"))
			assert.Equal(t, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", form.Get("client_assertion_type"))
			assert.Empty(t, hdr.Get("Authorization"), "no Basic header with client credentials")
			assert.Equal(t, "application/x-www-form-urlencoded", hdr.Get("Content-Type"))

			assertion := form.Get("client_assertion")
			parts := strings.Split(assertion, ".")
			require.Len(t, parts, 3)
			header, claims := decodeSegment(t, parts[0]), decodeSegment(t, parts[1])
			assert.Equal(t, "JWT", header["typ"])
			assert.Equal(t, tt.alg, header["alg"])
			assert.Equal(t, "cert-abc", header["kid"])
			sum := sha256.Sum256(cert.Raw)
			assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), header["x5t#256"])
			assert.Equal(t, "client-123", claims["iss"])
			assert.Equal(t, "rest_webservices", claims["scope"])
			assert.Equal(t, base+"/services/rest/auth/oauth2/v1/token", claims["aud"])
			iat, exp := int64(claims["iat"].(float64)), int64(claims["exp"].(float64))
			assert.LessOrEqual(t, iat, time.Now().Unix(), "iat never in the future")
			assert.Equal(t, int64(300), exp-iat, "default lifetime 5 minutes")
			assert.NotEmpty(t, claims["jti"])
			assert.NotContains(t, claims, "sub")

			verifyJWS(t, assertion, cert.PublicKey)
			// And golang-jwt's verifier agrees.
			_, err = jwt.Parse(assertion, func(*jwt.Token) (any, error) { return cert.PublicKey, nil },
				jwt.WithValidMethods([]string{tt.alg}), jwt.WithAudience(base+"/services/rest/auth/oauth2/v1/token"))
			require.NoError(t, err)
		})
	}
}

func sortedKeys(v url.Values) []string {
	var ks []string
	for k := range v {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func TestClientCredentialsClaimOptionsAndCache(t *testing.T) {
	key, cert := loadFreshKey(t, "ec-p256-sec1.key.pem")
	te := &tokenEndpoint{}
	conn, _ := newCCConnection(t, netsuite.ClientCredentials{
		ClientID: "c", CertificateID: "k", Key: key, Certificate: cert,
		Scopes: []string{"rest_webservices", "restlets"}, ScopeAsArray: true, Subject: "c",
		ExtraClaims: map[string]any{"scope": "rest_webservices,restlets", "custom": "x"},
		TokenParams: url.Values{"foo": {"bar"}}, Expiration: 30 * time.Minute,
	}, te, nil)
	for range 5 {
		tok, err := conn.TokenSource().Token()
		require.NoError(t, err)
		assert.Equal(t, "tok-1", tok.AccessToken)
	}
	assert.Equal(t, 1, te.count(), "one token serves every caller while it is valid")
	form := te.forms[0]
	assert.Equal(t, "bar", form.Get("foo"))
	claims := decodeSegment(t, strings.Split(form.Get("client_assertion"), ".")[1])
	assert.Equal(t, []any{"rest_webservices", "restlets"}, claims["scope"])
	assert.Equal(t, "x", claims["custom"])
	assert.Equal(t, "c", claims["sub"])
	assert.Equal(t, float64(1800), claims["exp"].(float64)-claims["iat"].(float64))
}

func TestClientCredentialsRejects(t *testing.T) {
	rsa3072, rsaCert := loadFreshKey(t, "rsa3072.key.pem")
	ec256, ecCert := loadFreshKey(t, "ec-p256-sec1.key.pem")
	rsa2048, _ := loadFreshKey(t, "rsa2048.key.pem")
	good := netsuite.ClientCredentials{ClientID: "c", CertificateID: "k", Key: rsa3072, Certificate: rsaCert}
	tests := []struct {
		name, field, why string
		mutate           func(*netsuite.ClientCredentials)
		is               error
	}{
		{"no client id", "ClientCredentials.ClientID", "empty", func(c *netsuite.ClientCredentials) { c.ClientID = "" }, nil},
		{"certificate id with newline", "ClientCredentials.CertificateID", "white space", func(c *netsuite.ClientCredentials) { c.CertificateID = "k\n" }, nil},
		{"no key", "ClientCredentials.Key", "nil", func(c *netsuite.ClientCredentials) { c.Key = nil }, nil},
		{"RS256", "ClientCredentials.Algorithm", "500 server_error", func(c *netsuite.ClientCredentials) { c.Algorithm = "RS256" }, netsuite.ErrUnsupportedAlgorithm},
		{"ES256 with RSA key", "ClientCredentials.Algorithm", "PS256", func(c *netsuite.ClientCredentials) { c.Algorithm = "ES256" }, netsuite.ErrUnsupportedAlgorithm},
		{"PS256 with EC key", "ClientCredentials.Algorithm", "ES256", func(c *netsuite.ClientCredentials) { c.Key, c.Certificate, c.Algorithm = ec256, ecCert, "PS256" }, netsuite.ErrUnsupportedAlgorithm},
		{"RSA 2048", "ClientCredentials.Key", "3072", func(c *netsuite.ClientCredentials) { c.Key, c.Certificate = rsa2048, nil }, netsuite.ErrUnsupportedKey},
		{"certificate of another key", "ClientCredentials.Certificate", "another public key", func(c *netsuite.ClientCredentials) { c.Certificate = ecCert }, netsuite.ErrKeyMismatch},
		{"audience not token url", "ClientCredentials.Audience", "leave it empty", func(c *netsuite.ClientCredentials) { c.Audience = "https://1234567-sb1.suitetalk.api.netsuite.com" }, nil},
		{"expiration 60 minutes", "ClientCredentials.Expiration", "less than 60 minutes", func(c *netsuite.ClientCredentials) { c.Expiration = time.Hour }, nil},
		{"negative expiration", "ClientCredentials.Expiration", "more than 10 seconds", func(c *netsuite.ClientCredentials) { c.Expiration = -time.Second }, nil},
		{"scope typo", "ClientCredentials.Scopes", "rest_webservice", func(c *netsuite.ClientCredentials) { c.Scopes = []string{"rest_webservice"} }, nil},
		{"reserved claim differs", "ClientCredentials.ExtraClaims", `"iss"`, func(c *netsuite.ClientCredentials) { c.ExtraClaims = map[string]any{"iss": "other"} }, nil},
		{"scope claim differs", "ClientCredentials.ExtraClaims", `"scope"`, func(c *netsuite.ClientCredentials) { c.ExtraClaims = map[string]any{"scope": "restlets"} }, nil},
		{"reserved token param", "ClientCredentials.TokenParams", "grant_type", func(c *netsuite.ClientCredentials) { c.TokenParams = url.Values{"grant_type": {"x"}} }, nil},
		{"token url over http", "ClientCredentials.TokenURL", "unencrypted", func(c *netsuite.ClientCredentials) { c.TokenURL = "http://example.com/token" }, nil},
		{"thumbprint mismatch", "ClientCredentials.Thumbprint", "does not match", func(c *netsuite.ClientCredentials) { c.Thumbprint = "abc" }, nil},
		{"thumbprint garbage", "ClientCredentials.Thumbprint", "43 characters", func(c *netsuite.ClientCredentials) { c.Certificate, c.Thumbprint = nil, "abc" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := good
			tt.mutate(&cc)
			_, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567_SB1", Auth: cc})
			require.Error(t, err)
			assert.ErrorIs(t, err, netsuite.ErrInvalidConfig)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			var ce *netsuite.ConfigError
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, tt.field, ce.Field)
			assert.Contains(t, err.Error(), tt.why)
		})
	}
	t.Run("harmless scope extra claim and explicit matching audience", func(t *testing.T) {
		cc := good
		cc.ExtraClaims = map[string]any{"scope": "rest_webservices"}
		cc.Audience = "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"
		_, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567_SB1", Auth: cc})
		require.NoError(t, err)
	})
}

func TestClientCredentialsTokenErrors(t *testing.T) {
	key, cert := loadFreshKey(t, "ec-p256-sec1.key.pem")
	cc := netsuite.ClientCredentials{ClientID: "c", CertificateID: "k", Key: key, Certificate: cert}
	tests := []struct {
		name string
		code int
		body string
		want []string
		auth bool
	}{
		{"server_error", 500, `{"error":"server_error"}`, []string{"500 Internal Server Error", "server_error", "RS256 is no longer accepted", "certificate ID (kid)"}, false},
		{"invalid_client", 401, `{"error":"invalid_client","error_description":"bad"}`, []string{"invalid_client: bad", "View Login Audit Trail"}, true},
		{"invalid_grant", 400, `{"error":"invalid_grant"}`, []string{"invalid_grant", "clock"}, true},
		{"invalid_scope", 400, `{"error":"invalid_scope"}`, []string{"enable the scope"}, false},
		{"html", 502, `<html>Bad gateway</html>`, []string{"502 Bad Gateway", "body: <html>Bad gateway</html>"}, false},
		{"2xx without token", 200, `{"token_type":"bearer"}`, []string{"no access_token"}, false},
		{"2xx with error", 200, `{"error":"invalid_request","error_description":"x"}`, []string{"invalid_request: x"}, false},
		{"2xx not json", 200, `ok`, []string{"not a token response"}, false},
		{"bad expires_in", 200, `{"access_token":"a","expires_in":"soon"}`, []string{"expires_in"}, false},
		{"not bearer", 200, `{"access_token":"secret-access","token_type":"mac"}`, []string{`"mac", not bearer`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := &tokenEndpoint{answer: func(int) (int, string) { return tt.code, tt.body }}
			conn, _ := newCCConnection(t, cc, te, nil)
			err := conn.TestConnection(bg)
			require.Error(t, err)
			var tokErr *netsuite.TokenError
			require.True(t, errors.As(err, &tokErr), "%T %v", err, err)
			assert.Equal(t, "client_credentials", tokErr.GrantType)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, tt.auth, netsuite.IsAuthFailure(err))
			assert.NotContains(t, err.Error(), "secret-access")
			assert.NotContains(t, err.Error(), te.forms[0].Get("client_assertion"))
		})
	}
}

func TestClientCredentialsNoRedirect(t *testing.T) {
	key, cert := loadFreshKey(t, "ec-p256-sec1.key.pem")
	var hits int
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer elsewhere.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/services/rest/auth/oauth2/v1/token", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/token", http.StatusTemporaryRedirect)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	conn, err := netsuite.NewConnection(netsuite.Config{BaseURL: srv.URL, AccountID: "1", Auth: netsuite.ClientCredentials{
		ClientID: "c", CertificateID: "k", Key: key, Certificate: cert}})
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.TokenSource().Token()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redirect, which is never followed")
	assert.Equal(t, 0, hits)
}

func TestBearerRequestsAndRetryAfter401(t *testing.T) {
	key, cert := loadFreshKey(t, "ec-p256-sec1.key.pem")
	te := &tokenEndpoint{}
	var mu sync.Mutex
	var seen []string
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			w.WriteHeader(401) // the first token is revoked
			return
		}
		w.Write(body)
	})
	conn, base := newCCConnection(t, netsuite.ClientCredentials{ClientID: "c", CertificateID: "k", Key: key, Certificate: cert}, te, api)
	resp, err := conn.Client().Post(base+"/services/rest/query/v1/suiteql", "application/json", strings.NewReader(`{"q":"x"}`))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, `{"q":"x"}`, string(body), "the retry carries the identical body")
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-2"}, seen)
	assert.Equal(t, 2, te.count())

	// A body that cannot be replayed is not sent twice; the token is still dropped.
	te2 := &tokenEndpoint{}
	seen = nil
	conn2, base2 := newCCConnection(t, netsuite.ClientCredentials{ClientID: "c", CertificateID: "k", Key: key, Certificate: cert}, te2, api)
	req, _ := http.NewRequest("POST", base2+"/x", io.NopCloser(strings.NewReader("once")))
	resp, err = conn2.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
	assert.Equal(t, []string{"Bearer tok-1"}, seen)
	tok, err := conn2.TokenSource().Token()
	require.NoError(t, err)
	assert.Equal(t, "tok-2", tok.AccessToken, "the rejected token was dropped")
}

func TestTBAConnectionHasNoTokens(t *testing.T) {
	conn, err := netsuite.NewConnection(netsuite.Config{AccountID: "1", Auth: testTBA})
	require.NoError(t, err)
	_, err = conn.TokenSource().Token()
	assert.ErrorContains(t, err, "no OAuth 2.0 tokens")
}
