package netsuitetest_test

// Requests here are built by hand (net/http, url.Values, crypto/sha256 for
// PKCE), never with the root package's AuthorizationCode: the fake's
// authorization code flow is checked against an independent client.

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
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
	"golang.org/x/oauth2"

	"github.com/suitekit/netsuite/netsuitetest"
)

const (
	acConfID = "conf-0123456789abcdef0123456789abcdef"
	// acConfSecret has characters that form-url-encoding changes, so that
	// Basic credentials are checked the RFC 6749 §2.3.1 way.
	acConfSecret = "s3cr+t/with=odd:chars%"
	acConf2ID    = "conf2-0123456789abcdef0123456789abcde"
	acConf2Sec   = "0123456789abcdef"
	acPublicID   = "public-0123456789abcdef0123456789abcd"
	acRedirect   = "https://app.example.com/oauth/callback"
	acLoopback   = "http://127.0.0.1/callback"
	restletPath  = "/app/site/hosting/restlet.nl?script=1&deploy=1"
)

// acFixture is a server at t0 with a confidential client (non-loopback
// redirect URI, 7-day refresh tokens), a second confidential client, and
// a public client (loopback redirect URI, 2-hour rotating refresh tokens).
type acFixture struct {
	srv    *netsuitetest.Server
	client *http.Client // does not follow redirects
}

func newACFixture(t *testing.T, opts ...netsuitetest.Option) *acFixture {
	opts = append([]netsuitetest.Option{netsuitetest.WithClock(func() time.Time { return t0 })}, opts...)
	srv := netsuitetest.NewServer(opts...)
	t.Cleanup(srv.Close)
	f := acFixtureFor(srv)
	srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{
		ClientID: acConfID, ClientSecret: acConfSecret, RedirectURI: acRedirect,
		Scopes: []string{"rest_webservices", "restlets"},
	})
	srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: acConf2ID, ClientSecret: acConf2Sec, RedirectURI: acRedirect})
	srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{
		ClientID: acPublicID, RedirectURI: acLoopback, RefreshTokenLifetime: 2 * time.Hour,
	})
	return f
}

func acFixtureFor(srv *netsuitetest.Server) *acFixture {
	return &acFixture{srv: srv, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (f *acFixture) setNow(now time.Time) { f.srv.SetClock(func() time.Time { return now }) }

func (f *acFixture) lastReject() string {
	reqs := f.srv.Requests()
	return reqs[len(reqs)-1].Reject
}

// pkce returns a fresh code verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func newState() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authParams is a good authorization request with PKCE.
func authParams(clientID, redirectURI, challenge string) url.Values {
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"scope": {"rest_webservices"}, "state": {newState()},
	}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	return q
}

type authAnswer struct {
	status   int
	header   http.Header
	body     string
	location string
	query    url.Values // of the Location
}

// authorize sends GET authorize.nl?rawQuery without following redirects.
func (f *acFixture) authorize(t *testing.T, method, rawQuery string) authAnswer {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.AuthorizeURL()+"?"+rawQuery, nil)
	require.NoError(t, err)
	resp, err := f.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := authAnswer{status: resp.StatusCode, header: resp.Header, body: string(body), location: resp.Header.Get("Location")}
	if a.location != "" {
		u, err := url.Parse(a.location)
		require.NoError(t, err)
		a.query = u.Query()
	}
	return a
}

// grantCode authorizes q and returns the code, checking the callback.
func (f *acFixture) grantCode(t *testing.T, q url.Values) string {
	t.Helper()
	a := f.authorize(t, http.MethodGet, q.Encode())
	require.Equal(t, http.StatusFound, a.status, "%s; reject: %s", a.body, f.lastReject())
	require.True(t, strings.HasPrefix(a.location, q.Get("redirect_uri")+"?"), a.location)
	require.Empty(t, a.query.Get("error"), a.location)
	require.Equal(t, q.Get("state"), a.query.Get("state"))
	code := a.query.Get("code")
	require.NotEmpty(t, code)
	return code
}

// issued is an authorization code with what its exchange needs.
type issued struct {
	code, verifier, redirectURI string
	clientID, secret            string // secret "" = public
}

func (i issued) form() url.Values {
	v := url.Values{"grant_type": {"authorization_code"}, "code": {i.code}, "redirect_uri": {i.redirectURI}}
	if i.verifier != "" {
		v.Set("code_verifier", i.verifier)
	}
	if i.secret == "" {
		v.Set("client_id", i.clientID)
	}
	return v
}

func (i issued) auth() func(*http.Request) {
	if i.secret == "" {
		return nil
	}
	return basic(i.clientID, i.secret)
}

// newCode authorizes with PKCE: the confidential client (redirect
// acRedirect) or the public one (a loopback redirect with a port).
func (f *acFixture) newCode(t *testing.T, public bool) issued {
	t.Helper()
	verifier, challenge := pkce()
	i := issued{verifier: verifier, clientID: acConfID, secret: acConfSecret, redirectURI: acRedirect}
	if public {
		i.clientID, i.secret, i.redirectURI = acPublicID, "", "http://127.0.0.1:49152/callback"
	}
	i.code = f.grantCode(t, authParams(i.clientID, i.redirectURI, challenge))
	return i
}

// basic sets HTTP Basic as RFC 6749 §2.3.1 says: each part
// form-url-encoded, then base64 of id:secret.
func basic(id, secret string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret))))
	}
}

// send POSTs a form to path (TokenPath or RevokePath); edit may change the
// request. A non-empty body must be JSON.
func (f *acFixture) send(t *testing.T, path string, form url.Values, edit func(*http.Request)) tokenAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if edit != nil {
		edit(req)
	}
	resp, err := f.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := tokenAnswer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &a.body), "answer is JSON: %s", raw)
	}
	return a
}

func (f *acFixture) exchange(t *testing.T, i issued) tokenAnswer {
	t.Helper()
	return f.send(t, netsuitetest.TokenPath, i.form(), i.auth())
}

// exchangeOK exchanges a code and returns the access and refresh tokens.
func (f *acFixture) exchangeOK(t *testing.T, i issued) (access, refresh string) {
	t.Helper()
	a := f.exchange(t, i)
	require.Equal(t, http.StatusOK, a.status, "%s; reject: %s", a.raw, f.lastReject())
	return a.body["access_token"].(string), a.body["refresh_token"].(string)
}

// refresh sends grant_type=refresh_token for the client of i.
func (f *acFixture) refresh(t *testing.T, i issued, rt string) tokenAnswer {
	t.Helper()
	v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	if i.secret == "" {
		v.Set("client_id", i.clientID)
	}
	return f.send(t, netsuitetest.TokenPath, v, i.auth())
}

func (f *acFixture) revoke(t *testing.T, i issued, token string) tokenAnswer {
	t.Helper()
	v := url.Values{"token": {token}}
	if i.secret == "" {
		v.Set("client_id", i.clientID)
	}
	return f.send(t, netsuitetest.RevokePath, v, i.auth())
}

// api GETs path with a bearer token and returns the status.
func (f *acFixture) api(t *testing.T, path, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// jwtClaims decodes a refresh token's payload without verifying it.
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3, tok)
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var c map[string]any
	require.NoError(t, json.Unmarshal(b, &c))
	return c
}

func expClaim(t *testing.T, tok string) time.Time {
	t.Helper()
	exp, ok := jwtClaims(t, tok)["exp"].(float64)
	require.True(t, ok, "exp is a number")
	return time.Unix(int64(exp), 0).UTC()
}

func TestAuthCodeConfidentialFlow(t *testing.T) {
	f := newACFixture(t)
	verifier, challenge := pkce()
	assert.Equal(t, oauth2.S256ChallengeFromVerifier(verifier), challenge, "PKCE helper agrees with x/oauth2")

	q := authParams(acConfID, acRedirect, challenge)
	q.Set("scope", "rest_webservices restlets")
	a := f.authorize(t, http.MethodGet, q.Encode())
	require.Equal(t, http.StatusFound, a.status, "%s; reject: %s", a.body, f.lastReject())
	require.True(t, strings.HasPrefix(a.location, acRedirect+"?"), a.location)
	assert.Equal(t, q.Get("state"), a.query.Get("state"))
	assert.Equal(t, "3", a.query.Get("role"))
	assert.Equal(t, "-5", a.query.Get("entity"))
	assert.Equal(t, "1234567_SB1", a.query.Get("company"))
	assert.False(t, a.query.Has("error"))
	code := a.query.Get("code")
	require.NotEmpty(t, code)

	i := issued{code: code, verifier: verifier, redirectURI: acRedirect, clientID: acConfID, secret: acConfSecret}
	tok := f.exchange(t, i)
	require.Equal(t, http.StatusOK, tok.status, "%s; reject: %s", tok.raw, f.lastReject())
	assert.Equal(t, "bearer", tok.body["token_type"])
	assert.Equal(t, "3600", tok.body["expires_in"], "a JSON string, as NetSuite sends it")
	assert.Equal(t, "no-store", tok.header.Get("Cache-Control"))
	at, rt := tok.body["access_token"].(string), tok.body["refresh_token"].(string)
	require.NotEmpty(t, at)
	require.NotEmpty(t, rt)
	assert.True(t, f.srv.RefreshTokenAlive(rt))

	assert.Equal(t, 200, f.api(t, catalog, at))
	assert.Equal(t, 200, f.api(t, restletPath, at), "restlets scope was granted")

	f.setNow(t0.Add(61 * time.Minute))
	assert.Equal(t, 401, f.api(t, catalog, at), "access tokens live 60 minutes")

	r := f.refresh(t, i, rt)
	require.Equal(t, http.StatusOK, r.status, "%s; reject: %s", r.raw, f.lastReject())
	assert.NotContains(t, r.body, "refresh_token", "confidential clients keep their refresh token")
	assert.Equal(t, "bearer", r.body["token_type"])
	assert.Equal(t, "3600", r.body["expires_in"])
	at2 := r.body["access_token"].(string)
	assert.NotEqual(t, at, at2)
	assert.Equal(t, 200, f.api(t, catalog, at2))
	assert.True(t, f.srv.RefreshTokenAlive(rt))

	r = f.refresh(t, i, rt)
	require.Equal(t, http.StatusOK, r.status, "the same refresh token works again")
	assert.Equal(t, 200, f.api(t, restletPath, r.body["access_token"].(string)))

	assert.Equal(t, map[string]int{"authorization_code": 1, "refresh_token": 2}, f.srv.Grants())
	assert.Equal(t, 3, f.srv.TokenRequests())

	var grants []string
	for _, req := range f.srv.Requests() {
		switch req.Path {
		case netsuitetest.TokenPath:
			grants = append(grants, req.Grant)
			assert.Equal(t, 200, req.Status)
			assert.Empty(t, req.Reject)
		case netsuitetest.AuthorizePath:
			assert.Equal(t, 302, req.Status)
			assert.Equal(t, q.Encode(), req.RawQuery)
		}
	}
	assert.Equal(t, []string{"authorization_code", "refresh_token", "refresh_token"}, grants)
}

func TestAuthCodePublicFlow(t *testing.T) {
	f := newACFixture(t)
	i := f.newCode(t, true)
	tok := f.exchange(t, i)
	require.Equal(t, http.StatusOK, tok.status, "%s; reject: %s", tok.raw, f.lastReject())
	at1, rt1 := tok.body["access_token"].(string), tok.body["refresh_token"].(string)
	assert.Equal(t, 200, f.api(t, catalog, at1))

	r := f.refresh(t, i, rt1)
	require.Equal(t, http.StatusOK, r.status, "%s; reject: %s", r.raw, f.lastReject())
	rt2, ok := r.body["refresh_token"].(string)
	require.True(t, ok, "public clients get a new refresh token: %s", r.raw)
	assert.NotEqual(t, rt1, rt2)
	assert.False(t, f.srv.RefreshTokenAlive(rt1), "the old refresh token dies at once")
	assert.True(t, f.srv.RefreshTokenAlive(rt2))
	assert.Equal(t, 200, f.api(t, catalog, r.body["access_token"].(string)))

	old := f.refresh(t, i, rt1)
	assert.Equal(t, 400, old.status)
	assert.Equal(t, "invalid_grant", old.body["error"])
	assert.Contains(t, old.body["error_description"], "Invalid refresh token")
	assert.Contains(t, f.lastReject(), "already used")

	r = f.refresh(t, i, rt2)
	require.Equal(t, http.StatusOK, r.status, "the new refresh token still works after the old one was tried: %s", r.raw)
	rt3 := r.body["refresh_token"].(string)
	assert.True(t, f.srv.RefreshTokenAlive(rt3))
	assert.False(t, f.srv.RefreshTokenAlive(rt2))
	assert.Equal(t, 200, f.api(t, catalog, r.body["access_token"].(string)))
	assert.Equal(t, 200, f.api(t, catalog, at1), "rotation does not revoke access tokens")
	assert.Equal(t, map[string]int{"authorization_code": 1, "refresh_token": 2}, f.srv.Grants())
}

// TestAuthorizeErrorPage: while client_id and redirect_uri are not
// verified, errors are a 400 page and never a redirect (RFC 6749 §4.1.2.1).
func TestAuthorizeErrorPage(t *testing.T) {
	f := newACFixture(t)
	_, challenge := pkce()
	conf := func(edit func(url.Values)) string {
		q := authParams(acConfID, acRedirect, challenge)
		edit(q)
		return q.Encode()
	}
	public := func(redirectURI string) string {
		return authParams(acPublicID, redirectURI, challenge).Encode()
	}
	tests := []struct {
		name   string
		method string
		query  string
		status int // default 400
		reject string
	}{
		{name: "no client_id", query: conf(func(q url.Values) { q.Del("client_id") }), reject: "no client_id"},
		{name: "unknown client_id", query: conf(func(q url.Values) { q.Set("client_id", "nope") }), reject: "not registered"},
		{name: "repeated client_id", query: conf(func(url.Values) {}) + "&client_id=" + acConfID, reject: "more than once"},
		{name: "no redirect_uri", query: conf(func(q url.Values) { q.Del("redirect_uri") }), reject: "no redirect_uri"},
		{name: "repeated redirect_uri", query: conf(func(url.Values) {}) + "&redirect_uri=" + url.QueryEscape(acRedirect), reject: "more than once"},
		{name: "trailing slash", query: conf(func(q url.Values) { q.Set("redirect_uri", acRedirect+"/") }), reject: "does not match"},
		{name: "other path", query: conf(func(q url.Values) { q.Set("redirect_uri", "https://app.example.com/oauth/other") }), reject: "does not match"},
		{name: "query added", query: conf(func(q url.Values) { q.Set("redirect_uri", acRedirect+"?x=1") }), reject: "does not match"},
		{name: "http instead of https", query: conf(func(q url.Values) { q.Set("redirect_uri", "http://app.example.com/oauth/callback") }), reject: "does not match"},
		{name: "host case differs", query: conf(func(q url.Values) { q.Set("redirect_uri", "https://APP.example.com/oauth/callback") }), reject: "does not match"},
		{name: "explicit default port on a non-loopback URI", query: conf(func(q url.Values) { q.Set("redirect_uri", "https://app.example.com:443/oauth/callback") }), reject: "does not match"},
		{name: "loopback: another host", query: public("http://localhost:8080/callback"), reject: "does not match"},
		{name: "loopback: https", query: public("https://127.0.0.1:8080/callback"), reject: "does not match"},
		{name: "loopback: path differs", query: public("http://127.0.0.1:8080/callback/"), reject: "does not match"},
		{name: "loopback: port not a number", query: public("http://127.0.0.1:http/callback"), reject: "does not match"},
		{name: "loopback: empty port", query: public("http://127.0.0.1:/callback"), reject: "does not match"},
		{name: "loopback: userinfo", query: public("http://x@127.0.0.1/callback"), reject: "does not match"},
		{name: "loopback: another loopback address", query: public("http://127.0.0.2:8080/callback"), reject: "does not match"},
		{name: "POST", method: http.MethodPost, query: conf(func(url.Values) {}), status: 405, reject: "not GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			status := tt.status
			if status == 0 {
				status = 400
			}
			a := f.authorize(t, method, tt.query)
			assert.Equal(t, status, a.status)
			assert.Empty(t, a.location, "no redirect")
			assert.Equal(t, "text/html; charset=utf-8", a.header.Get("Content-Type"))
			assert.Contains(t, a.body, "<html>")
			assert.Contains(t, f.lastReject(), tt.reject)
		})
	}
}

// TestAuthorizeErrorRedirect: once the redirect URI is verified, errors go
// back to it with error= and the state.
func TestAuthorizeErrorRedirect(t *testing.T) {
	f := newACFixture(t)
	_, challenge := pkce()
	tests := []struct {
		name   string
		public bool
		edit   func(q url.Values)
		raw    string // appended to the query
		code   string
		reject string
	}{
		{name: "no response_type", edit: func(q url.Values) { q.Del("response_type") }, code: "invalid_request", reject: "no response_type"},
		{name: "response_type token", edit: func(q url.Values) { q.Set("response_type", "token") }, code: "unsupported_response_type", reject: "token"},
		{name: "no scope", edit: func(q url.Values) { q.Del("scope") }, code: "invalid_scope", reject: "no scope"},
		{name: "empty scope", edit: func(q url.Values) { q.Set("scope", "") }, code: "invalid_scope", reject: "empty scope"},
		{name: "comma-separated scopes", edit: func(q url.Values) { q.Set("scope", "rest_webservices,restlets") }, code: "invalid_scope", reject: "commas"},
		{name: "two spaces", edit: func(q url.Values) { q.Set("scope", "rest_webservices  restlets") }, code: "invalid_scope", reject: "empty name"},
		{name: "trailing space", edit: func(q url.Values) { q.Set("scope", "rest_webservices ") }, code: "invalid_scope", reject: "empty name"},
		{name: "scope not enabled", edit: func(q url.Values) { q.Set("scope", "rest_webservices suite_analytics") }, code: "invalid_scope", reject: `"suite_analytics" is not enabled`},
		{name: "unknown scope", edit: func(q url.Values) { q.Set("scope", "openid") }, code: "invalid_scope", reject: "openid"},
		{name: "public client: scope not enabled", public: true, edit: func(q url.Values) { q.Set("scope", "restlets") }, code: "invalid_scope", reject: "restlets"},
		{name: "no state", edit: func(q url.Values) { q.Del("state") }, code: "invalid_request", reject: "no state"},
		{name: "state of 21", edit: func(q url.Values) { q.Set("state", strings.Repeat("a", 21)) }, code: "invalid_request", reject: "21 bytes"},
		{name: "state of 1025", edit: func(q url.Values) { q.Set("state", strings.Repeat("a", 1025)) }, code: "invalid_request", reject: "1025 bytes"},
		{name: "state with a tab", edit: func(q url.Values) { q.Set("state", strings.Repeat("a", 30)+"\t") }, code: "invalid_request", reject: "0x09"},
		{name: "state with DEL", edit: func(q url.Values) { q.Set("state", strings.Repeat("a", 30)+"\x7f") }, code: "invalid_request", reject: "0x7f"},
		{name: "state not ASCII", edit: func(q url.Values) { q.Set("state", strings.Repeat("a", 30)+"é") }, code: "invalid_request", reject: "not printable ASCII"},
		{name: "repeated state", raw: "&state=" + strings.Repeat("b", 32), code: "invalid_request", reject: "more than once"},
		{name: "method plain", edit: func(q url.Values) { q.Set("code_challenge_method", "plain") }, code: "invalid_request", reject: `"plain" is not S256`},
		{name: "method s256 lowercase", edit: func(q url.Values) { q.Set("code_challenge_method", "s256") }, code: "invalid_request", reject: "not S256"},
		{name: "challenge without method", edit: func(q url.Values) { q.Del("code_challenge_method") }, code: "invalid_request", reject: "absent (plain"},
		{name: "method without challenge", edit: func(q url.Values) { q.Del("code_challenge") }, code: "invalid_request", reject: "without code_challenge"},
		{name: "challenge too short", edit: func(q url.Values) { q.Set("code_challenge", challenge[:42]) }, code: "invalid_request", reject: "43 base64url"},
		{name: "challenge padded", edit: func(q url.Values) { q.Set("code_challenge", challenge+"=") }, code: "invalid_request", reject: "43 base64url"},
		{name: "public client without PKCE", public: true, edit: func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, code: "invalid_request", reject: "public client sent no code_challenge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			redirectURI := acRedirect
			q := authParams(acConfID, redirectURI, challenge)
			if tt.public {
				redirectURI = "http://127.0.0.1:8080/callback"
				q = authParams(acPublicID, redirectURI, challenge)
			}
			if tt.edit != nil {
				tt.edit(q)
			}
			a := f.authorize(t, http.MethodGet, q.Encode()+tt.raw)
			require.Equal(t, http.StatusFound, a.status, a.body)
			assert.True(t, strings.HasPrefix(a.location, redirectURI+"?"), a.location)
			assert.Equal(t, tt.code, a.query.Get("error"))
			assert.NotEmpty(t, a.query.Get("error_description"))
			assert.False(t, a.query.Has("code"), "no code on error")
			if q.Has("state") {
				assert.Equal(t, q.Get("state"), a.query.Get("state"), "state is echoed")
			} else {
				assert.False(t, a.query.Has("state"))
			}
			assert.Contains(t, f.lastReject(), tt.reject)
		})
	}
}

func TestAuthorizeAccepted(t *testing.T) {
	f := newACFixture(t)
	f.srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: "localhost-client", ClientSecret: "x", RedirectURI: "http://localhost/cb"})
	f.srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: "ipv6-client", ClientSecret: "x", RedirectURI: "http://[::1]:9000/cb"})
	f.srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: "query-client", ClientSecret: "x", RedirectURI: "https://app.example.com/cb?tenant=7"})
	f.srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: "scheme-client", ClientSecret: "x", RedirectURI: "com.example.app:/oauth2redirect"})
	_, challenge := pkce()
	tests := []struct {
		name     string
		clientID string // default acConfID
		redirect string // default acRedirect
		edit     func(q url.Values)
	}{
		{name: "state of 22", edit: func(q url.Values) { q.Set("state", strings.Repeat("s", 22)) }},
		{name: "state of 1024", edit: func(q url.Values) { q.Set("state", strings.Repeat("s", 1024)) }},
		{name: "state with every printable character", edit: func(q url.Values) {
			var b strings.Builder
			for c := byte(0x20); c <= 0x7e; c++ {
				b.WriteByte(c)
			}
			q.Set("state", b.String())
		}},
		{name: "two scopes", edit: func(q url.Values) { q.Set("scope", "restlets rest_webservices") }},
		{name: "duplicate scope", edit: func(q url.Values) { q.Set("scope", "restlets restlets") }},
		{name: "confidential client without PKCE", edit: func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }},
		{name: "unknown parameters and prompt are ignored", edit: func(q url.Values) { q.Set("prompt", "login consent"); q.Set("foo", "bar") }},
		{name: "loopback 127.0.0.1 with a port", clientID: acPublicID, redirect: "http://127.0.0.1:1/callback"},
		{name: "loopback 127.0.0.1 with another port", clientID: acPublicID, redirect: "http://127.0.0.1:65535/callback"},
		{name: "loopback as registered, no port", clientID: acPublicID, redirect: acLoopback},
		{name: "loopback localhost with a port", clientID: "localhost-client", redirect: "http://localhost:5000/cb"},
		{name: "loopback [::1], another port", clientID: "ipv6-client", redirect: "http://[::1]:9001/cb"},
		{name: "loopback [::1], no port", clientID: "ipv6-client", redirect: "http://[::1]/cb"},
		{name: "custom scheme, exact", clientID: "scheme-client", redirect: "com.example.app:/oauth2redirect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clientID, redirectURI := tt.clientID, tt.redirect
			if clientID == "" {
				clientID = acConfID
			}
			if redirectURI == "" {
				redirectURI = acRedirect
			}
			q := authParams(clientID, redirectURI, challenge)
			if tt.edit != nil {
				tt.edit(q)
			}
			f.grantCode(t, q) // checks the state comes back byte for byte
		})
	}

	t.Run("redirect URI with a query keeps it", func(t *testing.T) {
		q := authParams("query-client", "https://app.example.com/cb?tenant=7", challenge)
		a := f.authorize(t, http.MethodGet, q.Encode())
		require.Equal(t, http.StatusFound, a.status, f.lastReject())
		assert.True(t, strings.HasPrefix(a.location, "https://app.example.com/cb?tenant=7&code="), a.location)
		assert.Equal(t, "7", a.query.Get("tenant"))
		assert.NotEmpty(t, a.query.Get("code"))
	})
}

func TestAuthorizeDenyAndLogin(t *testing.T) {
	f := newACFixture(t)
	_, challenge := pkce()
	q := authParams(acConfID, acRedirect, challenge)

	f.srv.DenyAuthorization("access_denied", "The user denied the request.")
	for range 2 {
		a := f.authorize(t, http.MethodGet, q.Encode())
		require.Equal(t, http.StatusFound, a.status)
		assert.True(t, strings.HasPrefix(a.location, acRedirect+"?"))
		assert.Equal(t, "access_denied", a.query.Get("error"))
		assert.Equal(t, "The user denied the request.", a.query.Get("error_description"))
		assert.Equal(t, q.Get("state"), a.query.Get("state"))
		assert.False(t, a.query.Has("code"))
		assert.Contains(t, f.lastReject(), "access_denied")
	}
	bad := authParams(acConfID, acRedirect, challenge)
	bad.Set("scope", "bogus")
	assert.Equal(t, "invalid_scope", f.authorize(t, http.MethodGet, bad.Encode()).query.Get("error"), "request checks come before the user's answer")
	f.srv.DenyAuthorization("server_error", "")
	a := f.authorize(t, http.MethodGet, q.Encode())
	assert.Equal(t, "server_error", a.query.Get("error"))
	assert.False(t, a.query.Has("error_description"))

	f.srv.DenyAuthorization("", "")
	f.grantCode(t, q)

	f.srv.SetLogin("TSTDRV7654321", "1030", "4711")
	a = f.authorize(t, http.MethodGet, q.Encode())
	assert.Equal(t, "TSTDRV7654321", a.query.Get("company"))
	assert.Equal(t, "1030", a.query.Get("role"))
	assert.Equal(t, "4711", a.query.Get("entity"))
	f.srv.SetLogin("", "", "")
	a = f.authorize(t, http.MethodGet, q.Encode())
	assert.Equal(t, "1234567_SB1", a.query.Get("company"))
	assert.Equal(t, "3", a.query.Get("role"))
	assert.Equal(t, "-5", a.query.Get("entity"))

	t.Run("company is the canonical account ID", func(t *testing.T) {
		f := newACFixture(t, netsuitetest.WithAccountID("tstdrv1234567"))
		a := f.authorize(t, http.MethodGet, authParams(acConfID, acRedirect, challenge).Encode())
		assert.Equal(t, "TSTDRV1234567", a.query.Get("company"))
	})
}

func TestAuthCodeExchangeRejected(t *testing.T) {
	f := newACFixture(t)
	otherVerifier, _ := pkce()
	del := func(names ...string) func(url.Values) {
		return func(v url.Values) {
			for _, n := range names {
				v.Del(n)
			}
		}
	}
	set := func(name, value string) func(url.Values) { return func(v url.Values) { v.Set(name, value) } }
	tests := []struct {
		name     string
		public   bool
		noPKCE   bool // the authorization request had no code_challenge
		form     func(url.Values)
		auth     func(*http.Request) // replaces the client's authentication
		noAuth   bool                // no Authorization header at all
		edit     func(*http.Request)
		status   int // default 400
		code     string
		describe string // substring of error_description
		reject   string
	}{
		// Request form.
		{name: "GET", edit: func(r *http.Request) { r.Method = http.MethodGet }, code: "invalid_request", reject: "not POST"},
		{name: "JSON content type", edit: func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, code: "invalid_request", reject: "Content-Type"},

		// Client authentication.
		{name: "Basic and client_secret in the body", form: set("client_secret", acConfSecret), code: "invalid_request",
			describe: "several client authentication methods", reject: "client_secret sent in the body as well"},
		{name: "Basic and client_assertion", form: set("client_assertion", "x.y.z"), code: "invalid_request", describe: "several client authentication methods"},
		{name: "client_secret in the body only", noAuth: true, form: func(v url.Values) { v.Set("client_id", acConfID); v.Set("client_secret", acConfSecret) },
			status: 401, code: "invalid_client", reject: "confidential clients must use HTTP Basic"},
		{name: "client_id only, confidential", noAuth: true, form: set("client_id", acConfID), status: 401, code: "invalid_client", reject: "sent no Authorization: Basic"},
		{name: "no client authentication", noAuth: true, status: 401, code: "invalid_client", reject: "no client authentication"},
		{name: "wrong secret", auth: basic(acConfID, "wrong"), status: 401, code: "invalid_client", reject: "wrong client secret"},
		{name: "secret of another client", auth: basic(acConfID, acConf2Sec), status: 401, code: "invalid_client", reject: "wrong client secret"},
		{name: "Basic credentials not form-url-encoded", auth: func(r *http.Request) { r.SetBasicAuth(acConfID, acConfSecret) }, status: 401, code: "invalid_client"},
		{name: "unknown client in Basic", auth: basic("nope", "x"), status: 401, code: "invalid_client", reject: "not registered"},
		{name: "Bearer instead of Basic", auth: func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }, status: 401, code: "invalid_client", reject: "not Basic"},
		{name: "Basic not base64", auth: func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") }, status: 401, code: "invalid_client", reject: "not base64"},
		{name: "client_id in the body differs from Basic", form: set("client_id", acConf2ID), code: "invalid_request", reject: "differs from the Basic client_id"},
		{name: "public client with Basic", public: true, auth: basic(acPublicID, ""), status: 401, code: "invalid_client", reject: "is public"},
		{name: "public client with client_secret", public: true, form: set("client_secret", "x"), status: 401, code: "invalid_client", reject: "has no secret"},
		{name: "public client without client_id", public: true, form: del("client_id"), status: 401, code: "invalid_client", reject: "no client authentication"},
		{name: "public client, unknown client_id", public: true, form: set("client_id", "nope"), status: 401, code: "invalid_client", reject: "not registered"},

		// The code.
		{name: "no code", form: del("code"), code: "invalid_request", reject: "no code"},
		{name: "repeated code", edit: func(r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(b) + "&code=x"))
			r.ContentLength = -1
		}, code: "invalid_request", reject: "more than once"},
		{name: "unknown code", form: set("code", "nope"), code: "invalid_grant", reject: "unknown authorization code"},
		{name: "code of another client", auth: basic(acConf2ID, acConf2Sec), code: "invalid_grant", reject: "was issued to client"},
		{name: "public code, confidential client", public: true, form: del("client_id"), auth: basic(acConfID, acConfSecret), code: "invalid_grant", reject: "was issued to client"},

		// redirect_uri.
		{name: "no redirect_uri", form: del("redirect_uri"), code: "invalid_request", reject: "no redirect_uri"},
		{name: "redirect_uri with a trailing slash", form: set("redirect_uri", acRedirect+"/"), code: "invalid_grant", reject: "is not the authorization request's"},
		{name: "redirect_uri as registered, not as sent", public: true, form: set("redirect_uri", acLoopback), code: "invalid_grant", reject: "is not the authorization request's"},
		{name: "loopback redirect_uri, another port", public: true, form: set("redirect_uri", "http://127.0.0.1:49153/callback"), code: "invalid_grant"},

		// PKCE.
		{name: "no code_verifier", form: del("code_verifier"), code: "invalid_grant", reject: "no code_verifier"},
		{name: "public client, no code_verifier", public: true, form: del("code_verifier"), code: "invalid_grant", reject: "no code_verifier"},
		{name: "wrong code_verifier", form: set("code_verifier", otherVerifier), code: "invalid_grant", reject: "differs from the code_challenge"},
		{name: "code_verifier too short", form: set("code_verifier", "abc"), code: "invalid_grant", reject: "43-128"},
		{name: "code_verifier with a bad character", form: set("code_verifier", otherVerifier+"+"), code: "invalid_grant", reject: "43-128"},
		{name: "code_verifier without a code_challenge", noPKCE: true, form: set("code_verifier", otherVerifier), code: "invalid_grant", reject: "had no code_challenge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := f.newCode(t, tt.public)
			if tt.noPKCE {
				q := authParams(i.clientID, i.redirectURI, "")
				i.code, i.verifier = f.grantCode(t, q), ""
			}
			form := i.form()
			if tt.form != nil {
				tt.form(form)
			}
			auth := i.auth()
			if tt.auth != nil {
				auth = tt.auth
			}
			if tt.noAuth {
				auth = nil
			}
			a := f.send(t, netsuitetest.TokenPath, form, func(r *http.Request) {
				if auth != nil {
					auth(r)
				}
				if tt.edit != nil {
					tt.edit(r)
				}
			})
			status := tt.status
			if status == 0 {
				status = 400
			}
			assert.Equal(t, status, a.status, a.raw)
			assert.Equal(t, tt.code, a.body["error"], a.raw)
			assert.NotEmpty(t, a.body["error_description"])
			assert.Contains(t, a.body["error_description"], tt.describe)
			if status == 401 {
				assert.Equal(t, `Basic realm="1234567_SB1"`, a.header.Get("WWW-Authenticate"))
			} else {
				assert.Empty(t, a.header.Get("WWW-Authenticate"))
			}
			assert.Contains(t, f.lastReject(), tt.reject)
			reqs := f.srv.Requests()
			if tt.edit == nil {
				assert.Equal(t, "authorization_code", reqs[len(reqs)-1].Grant)
			}
			assert.NotContains(t, a.body, "access_token")

			// A refused exchange does not spend the code.
			good := f.exchange(t, i)
			assert.Equal(t, http.StatusOK, good.status, "%s; reject: %s", good.raw, f.lastReject())
		})
	}
	assert.Zero(t, f.srv.Grants()["refresh_token"])
	assert.Equal(t, len(tests), f.srv.Grants()["authorization_code"])
}

func TestAuthCodeReuseRevokes(t *testing.T) {
	for _, public := range []bool{false, true} {
		name := map[bool]string{false: "confidential", true: "public"}[public]
		t.Run(name, func(t *testing.T) {
			f := newACFixture(t)
			i := f.newCode(t, public)
			at1, rt1 := f.exchangeOK(t, i)
			r := f.refresh(t, i, rt1)
			require.Equal(t, http.StatusOK, r.status, r.raw)
			at2 := r.body["access_token"].(string)
			rt2 := rt1
			if public {
				rt2 = r.body["refresh_token"].(string)
			}
			other := f.newCode(t, public)
			otherAT, otherRT := f.exchangeOK(t, other)

			again := f.exchange(t, i)
			assert.Equal(t, 400, again.status)
			assert.Equal(t, "invalid_grant", again.body["error"])
			assert.Contains(t, again.body["error_description"], "already been used")
			assert.Contains(t, f.lastReject(), "revoked")

			assert.Equal(t, 401, f.api(t, catalog, at1))
			assert.Equal(t, 401, f.api(t, catalog, at2))
			assert.False(t, f.srv.RefreshTokenAlive(rt1))
			assert.False(t, f.srv.RefreshTokenAlive(rt2))
			dead := f.refresh(t, i, rt2)
			assert.Equal(t, "invalid_grant", dead.body["error"])
			assert.Contains(t, f.lastReject(), "revoked")

			third := f.exchange(t, i)
			assert.Equal(t, "invalid_grant", third.body["error"], "still spent")

			assert.Equal(t, 200, f.api(t, catalog, otherAT), "another authorization is untouched")
			assert.True(t, f.srv.RefreshTokenAlive(otherRT))
		})
	}
}

func TestAuthCodeLifetime(t *testing.T) {
	tests := []struct {
		age time.Duration
		ok  bool
	}{
		{0, true},
		{10*time.Minute - time.Second, true},
		{10 * time.Minute, false},
		{time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.age.String(), func(t *testing.T) {
			f := newACFixture(t)
			i := f.newCode(t, false)
			f.setNow(t0.Add(tt.age))
			a := f.exchange(t, i)
			if tt.ok {
				assert.Equal(t, 200, a.status, a.raw)
				return
			}
			assert.Equal(t, 400, a.status)
			assert.Equal(t, "invalid_grant", a.body["error"])
			assert.Contains(t, a.body["error_description"], "expired")
			assert.Contains(t, f.lastReject(), "at most 10m0s")
		})
	}
}

// TestRefreshTokenExpiryConfidential: 7 days from the authorization,
// whatever refreshes happen in between.
func TestRefreshTokenExpiryConfidential(t *testing.T) {
	f := newACFixture(t)
	i := f.newCode(t, false)
	exchanged := t0.Add(30 * time.Second)
	f.setNow(exchanged)
	_, rt := f.exchangeOK(t, i)
	assert.Equal(t, exchanged.Add(7*24*time.Hour), expClaim(t, rt))

	for _, after := range []time.Duration{time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 6 * 24 * time.Hour, 7*24*time.Hour - time.Second} {
		f.setNow(exchanged.Add(after))
		r := f.refresh(t, i, rt)
		require.Equal(t, 200, r.status, "after %s: %s; %s", after, r.raw, f.lastReject())
		assert.NotContains(t, r.body, "refresh_token")
		assert.Equal(t, 200, f.api(t, catalog, r.body["access_token"].(string)))
		assert.True(t, f.srv.RefreshTokenAlive(rt))
	}
	f.setNow(exchanged.Add(7 * 24 * time.Hour))
	assert.False(t, f.srv.RefreshTokenAlive(rt))
	r := f.refresh(t, i, rt)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_grant", r.body["error"])
	assert.Equal(t, "Invalid refresh token.", r.body["error_description"])
	assert.Contains(t, f.lastReject(), "expired")
	assert.Contains(t, f.lastReject(), "after the authorization")

	t.Run("custom lifetime", func(t *testing.T) {
		f := newACFixture(t)
		f.srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: "short", ClientSecret: "s", RedirectURI: acRedirect, RefreshTokenLifetime: time.Hour})
		_, challenge := pkce()
		q := authParams("short", acRedirect, challenge)
		q.Del("code_challenge")
		q.Del("code_challenge_method")
		i := issued{code: f.grantCode(t, q), redirectURI: acRedirect, clientID: "short", secret: "s"}
		_, rt := f.exchangeOK(t, i)
		assert.Equal(t, t0.Add(time.Hour), expClaim(t, rt))
		f.setNow(t0.Add(time.Hour))
		assert.Equal(t, "invalid_grant", f.refresh(t, i, rt).body["error"])
	})
}

// TestRefreshTokenExpiryPublic: each rotated refresh token lives the
// client's lifetime from its own issue.
func TestRefreshTokenExpiryPublic(t *testing.T) {
	f := newACFixture(t) // public client: 2 hours
	i := f.newCode(t, true)
	_, rt1 := f.exchangeOK(t, i)
	assert.Equal(t, t0.Add(2*time.Hour), expClaim(t, rt1))

	at := t0.Add(2*time.Hour - time.Second)
	f.setNow(at)
	r := f.refresh(t, i, rt1)
	require.Equal(t, 200, r.status, r.raw)
	rt2 := r.body["refresh_token"].(string)
	assert.Equal(t, at.Add(2*time.Hour), expClaim(t, rt2))

	f.setNow(at.Add(2*time.Hour - time.Second))
	assert.True(t, f.srv.RefreshTokenAlive(rt2))
	f.setNow(at.Add(2 * time.Hour))
	assert.False(t, f.srv.RefreshTokenAlive(rt2))
	r = f.refresh(t, i, rt2)
	assert.Equal(t, "invalid_grant", r.body["error"])
	assert.Contains(t, f.lastReject(), "expired")
	assert.Contains(t, f.lastReject(), "after its issue")

	t.Run("limits", func(t *testing.T) {
		srv := netsuitetest.NewHandler()
		for _, d := range []time.Duration{time.Hour, 720 * time.Hour} {
			assert.NotPanics(t, func() {
				srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: "p", RedirectURI: acLoopback, RefreshTokenLifetime: d})
			})
		}
		for _, d := range []time.Duration{time.Hour - time.Second, 721 * time.Hour, -time.Hour} {
			assert.Panics(t, func() {
				srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: "p", RedirectURI: acLoopback, RefreshTokenLifetime: d})
			}, d.String())
		}
		assert.Panics(t, func() { srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: "p"}) })
		assert.Panics(t, func() { srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{RedirectURI: acLoopback}) })
		assert.Panics(t, func() { srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: "p", RedirectURI: "/relative"}) })
		assert.Panics(t, func() {
			srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: "p", RedirectURI: acLoopback + "#frag"})
		})
	})
}

func TestRefreshRejected(t *testing.T) {
	f := newACFixture(t)
	conf := f.newCode(t, false)
	_, confRT := f.exchangeOK(t, conf)
	pub := f.newCode(t, true)
	_, pubRT := f.exchangeOK(t, pub)

	tests := []struct {
		name   string
		form   url.Values
		auth   func(*http.Request)
		status int
		code   string
		reject string
	}{
		{name: "no refresh_token", form: url.Values{"grant_type": {"refresh_token"}}, auth: conf.auth(), code: "invalid_request", reject: "no refresh_token"},
		{name: "unknown refresh token", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"a.b.c"}}, auth: conf.auth(), code: "invalid_grant", reject: "unknown refresh token"},
		{name: "refresh token of another client", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {confRT}}, auth: basic(acConf2ID, acConf2Sec), code: "invalid_grant", reject: "issued to client"},
		{name: "public refresh token, confidential client", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pubRT}}, auth: conf.auth(), code: "invalid_grant", reject: "issued to client"},
		{name: "confidential without Basic", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {confRT}, "client_id": {acConfID}}, status: 401, code: "invalid_client"},
		{name: "confidential with the secret in the body too", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {confRT}, "client_secret": {acConfSecret}}, auth: conf.auth(), code: "invalid_request", reject: "as well as an Authorization header"},
		{name: "wrong secret", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {confRT}}, auth: basic(acConfID, "x"), status: 401, code: "invalid_client"},
		{name: "public without client_id", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pubRT}}, status: 401, code: "invalid_client"},
		{name: "public with Basic", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pubRT}}, auth: basic(acPublicID, ""), status: 401, code: "invalid_client"},
		{name: "scope beyond the authorization", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {confRT}, "scope": {"suite_analytics"}}, auth: conf.auth(), code: "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.send(t, netsuitetest.TokenPath, tt.form, tt.auth)
			status := tt.status
			if status == 0 {
				status = 400
			}
			assert.Equal(t, status, a.status, a.raw)
			assert.Equal(t, tt.code, a.body["error"])
			if tt.code == "invalid_grant" {
				assert.Equal(t, "Invalid refresh token.", a.body["error_description"])
			}
			assert.Contains(t, f.lastReject(), tt.reject)
			assert.Equal(t, "refresh_token", f.srv.Requests()[len(f.srv.Requests())-1].Grant)
		})
	}
	assert.True(t, f.srv.RefreshTokenAlive(confRT))
	assert.True(t, f.srv.RefreshTokenAlive(pubRT), "refused requests do not rotate")

	t.Run("narrower scope", func(t *testing.T) {
		verifier, challenge := pkce()
		q := authParams(acConfID, acRedirect, challenge)
		q.Set("scope", "rest_webservices restlets")
		both := issued{code: f.grantCode(t, q), verifier: verifier, redirectURI: acRedirect, clientID: acConfID, secret: acConfSecret}
		_, rt := f.exchangeOK(t, both)
		r := f.send(t, netsuitetest.TokenPath, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"restlets"}}, both.auth())
		require.Equal(t, 200, r.status, r.raw)
		at := r.body["access_token"].(string)
		assert.Equal(t, 200, f.api(t, restletPath, at))
		assert.Equal(t, 401, f.api(t, catalog, at), "rest_webservices was not asked for")
	})
}

func TestRevoke(t *testing.T) {
	t.Run("refresh token kills it and its access tokens", func(t *testing.T) {
		f := newACFixture(t)
		i := f.newCode(t, false)
		at1, rt := f.exchangeOK(t, i)
		at2 := f.refresh(t, i, rt).body["access_token"].(string)
		other := f.newCode(t, false)
		otherAT, otherRT := f.exchangeOK(t, other)
		before := f.srv.TokenRequests()

		a := f.send(t, netsuitetest.RevokePath, url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}}, i.auth())
		assert.Equal(t, 200, a.status, a.raw)
		assert.Empty(t, a.raw)
		assert.False(t, f.srv.RefreshTokenAlive(rt))
		assert.Equal(t, 401, f.api(t, catalog, at1))
		assert.Equal(t, 401, f.api(t, catalog, at2))
		r := f.refresh(t, i, rt)
		assert.Equal(t, "invalid_grant", r.body["error"])
		assert.Contains(t, f.lastReject(), "revoked")

		assert.Equal(t, 200, f.api(t, catalog, otherAT), "other authorizations are untouched")
		assert.True(t, f.srv.RefreshTokenAlive(otherRT))
		assert.Equal(t, before+1, f.srv.TokenRequests(), "revoke requests are not token requests")

		var revokes []netsuitetest.Request
		for _, req := range f.srv.Requests() {
			if req.Path == netsuitetest.RevokePath {
				revokes = append(revokes, req)
			}
		}
		require.Len(t, revokes, 1)
		assert.Equal(t, rt, revokes[0].Token)
		assert.Equal(t, 200, revokes[0].Status)
		assert.Empty(t, revokes[0].Reject)
	})

	t.Run("access token kills only it", func(t *testing.T) {
		f := newACFixture(t)
		i := f.newCode(t, false)
		at, rt := f.exchangeOK(t, i)
		a := f.send(t, netsuitetest.RevokePath, url.Values{"token": {at}, "token_type_hint": {"access_token"}}, i.auth())
		assert.Equal(t, 200, a.status, a.raw)
		assert.Equal(t, 401, f.api(t, catalog, at))
		assert.True(t, f.srv.RefreshTokenAlive(rt))
		r := f.refresh(t, i, rt)
		require.Equal(t, 200, r.status)
		assert.Equal(t, 200, f.api(t, catalog, r.body["access_token"].(string)))
	})

	t.Run("a wrong hint does not matter", func(t *testing.T) {
		f := newACFixture(t)
		i := f.newCode(t, false)
		_, rt := f.exchangeOK(t, i)
		a := f.send(t, netsuitetest.RevokePath, url.Values{"token": {rt}, "token_type_hint": {"access_token"}}, i.auth())
		assert.Equal(t, 200, a.status)
		assert.False(t, f.srv.RefreshTokenAlive(rt))
	})

	t.Run("public client, rotated chain", func(t *testing.T) {
		f := newACFixture(t)
		i := f.newCode(t, true)
		at1, rt1 := f.exchangeOK(t, i)
		r := f.refresh(t, i, rt1)
		at2, rt2 := r.body["access_token"].(string), r.body["refresh_token"].(string)
		a := f.revoke(t, i, rt2)
		assert.Equal(t, 200, a.status, a.raw)
		assert.False(t, f.srv.RefreshTokenAlive(rt2))
		assert.Equal(t, 401, f.api(t, catalog, at1))
		assert.Equal(t, 401, f.api(t, catalog, at2))
	})

	t.Run("unknown token is 200", func(t *testing.T) {
		f := newACFixture(t)
		i := f.newCode(t, false)
		a := f.revoke(t, i, "never-issued")
		assert.Equal(t, 200, a.status)
		assert.Empty(t, a.raw)
		a = f.revoke(t, issued{clientID: acPublicID}, "never-issued")
		assert.Equal(t, 200, a.status)
	})

	f := newACFixture(t)
	i := f.newCode(t, false)
	_, rt := f.exchangeOK(t, i)
	tests := []struct {
		name   string
		form   url.Values
		auth   func(*http.Request)
		edit   func(*http.Request)
		status int
		code   string
		reject string
	}{
		{name: "wrong secret", form: url.Values{"token": {rt}}, auth: basic(acConfID, "x"), status: 401, code: "invalid_client", reject: "wrong client secret"},
		{name: "no client authentication", form: url.Values{"token": {rt}}, status: 401, code: "invalid_client"},
		{name: "client_id only, confidential", form: url.Values{"token": {rt}, "client_id": {acConfID}}, status: 401, code: "invalid_client"},
		{name: "Basic and client_secret", form: url.Values{"token": {rt}, "client_secret": {acConfSecret}}, auth: i.auth(), status: 400, code: "invalid_request", reject: "as well as an Authorization header"},
		{name: "no token", form: url.Values{}, auth: i.auth(), status: 400, code: "invalid_request", reject: "no token"},
		{name: "token of another client", form: url.Values{"token": {rt}}, auth: basic(acConf2ID, acConf2Sec), status: 400, code: "invalid_grant", reject: "belongs to client"},
		{name: "GET", form: url.Values{"token": {rt}}, auth: i.auth(), edit: func(r *http.Request) { r.Method = http.MethodGet }, status: 400, code: "invalid_request", reject: "not POST"},
		{name: "JSON body", form: url.Values{"token": {rt}}, auth: i.auth(), edit: func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, status: 400, code: "invalid_request", reject: "Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.send(t, netsuitetest.RevokePath, tt.form, func(r *http.Request) {
				if tt.auth != nil {
					tt.auth(r)
				}
				if tt.edit != nil {
					tt.edit(r)
				}
			})
			assert.Equal(t, tt.status, a.status, a.raw)
			assert.Equal(t, tt.code, a.body["error"])
			if tt.status == 401 {
				assert.Equal(t, `Basic realm="1234567_SB1"`, a.header.Get("WWW-Authenticate"))
			}
			assert.Contains(t, f.lastReject(), tt.reject)
			assert.True(t, f.srv.RefreshTokenAlive(rt), "a refused revocation revokes nothing")
		})
	}
}

func TestRefreshTokenIsJWT(t *testing.T) {
	f := newACFixture(t)
	i := f.newCode(t, false)
	_, rt := f.exchangeOK(t, i)
	parts := strings.Split(rt, ".")
	require.Len(t, parts, 3)
	for _, p := range parts {
		_, err := base64.RawURLEncoding.Strict().DecodeString(p)
		assert.NoError(t, err, "base64url without padding: %q", p)
	}
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	assert.JSONEq(t, `{"alg":"HS256","typ":"JWT"}`, string(h))

	c := jwtClaims(t, rt)
	assert.Equal(t, float64(t0.Unix()), c["iat"])
	assert.Equal(t, float64(t0.Add(7*24*time.Hour).Unix()), c["exp"])
	assert.Equal(t, acConfID, c["client_id"])
	assert.NotEmpty(t, c["jti"])

	// A standard JWT library reads exp.
	tok, _, err := jwt.NewParser().ParseUnverified(rt, jwt.MapClaims{})
	require.NoError(t, err)
	exp, err := tok.Claims.GetExpirationTime()
	require.NoError(t, err)
	assert.Equal(t, t0.Add(7*24*time.Hour), exp.Time.UTC())

	_, rt2 := f.exchangeOK(t, f.newCode(t, false))
	assert.NotEqual(t, c["jti"], jwtClaims(t, rt2)["jti"])

	// The signature is checked: the same payload with another signature is
	// not a refresh token.
	forged := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	assert.False(t, f.srv.RefreshTokenAlive(forged))
	assert.Equal(t, "invalid_grant", f.refresh(t, i, forged).body["error"])
}

func TestGrantsCount(t *testing.T) {
	cc := newFixture(t) // client-credentials fixture of oauth2_test.go
	f := acFixtureFor(cc.srv)
	f.srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: acConfID, ClientSecret: acConfSecret, RedirectURI: acRedirect})
	assert.Empty(t, f.srv.Grants())

	require.Equal(t, 200, cc.exchange(t, cc.sign(t, "ES256", cc.claims())).status)
	i := f.newCode(t, false)
	_, rt := f.exchangeOK(t, i)
	for range 3 {
		require.Equal(t, 200, f.refresh(t, i, rt).status)
	}
	f.refresh(t, i, "bogus")                         // refused: not counted
	f.exchange(t, i)                                 // reused: not counted
	cc.exchange(t, cc.sign(t, "RS256", cc.claims())) // refused: not counted

	g := f.srv.Grants()
	assert.Equal(t, map[string]int{"client_credentials": 1, "authorization_code": 1, "refresh_token": 3}, g)
	g["refresh_token"] = 100
	assert.Equal(t, 3, f.srv.Grants()["refresh_token"], "Grants returns a copy")
	assert.Equal(t, 8, f.srv.TokenRequests(), "TokenRequests counts every token request")
}

func TestDefaultAuthorizationCode(t *testing.T) {
	f := newACFixture(t)
	assert.Equal(t, f.srv.URL+"/app/login/oauth2/authorize.nl", f.srv.AuthorizeURL())
	assert.Equal(t, f.srv.URL+"/services/rest/auth/oauth2/v1/revoke", f.srv.RevokeURL())

	ac := f.srv.AuthorizationCode()
	assert.Equal(t, ac, f.srv.AuthorizationCode(), "made once")
	assert.Len(t, ac.ClientID, 64)
	assert.Len(t, ac.ClientSecret, 64)
	assert.Equal(t, "http://127.0.0.1:0/callback", ac.RedirectURL)
	assert.Empty(t, ac.AuthURL)
	assert.Empty(t, ac.TokenURL)
	assert.Empty(t, ac.RevokeURL)
	assert.Nil(t, ac.Scopes)
	assert.Nil(t, ac.Token)
	assert.Nil(t, ac.Store)

	pub := f.srv.PublicAuthorizationCode()
	assert.Equal(t, pub, f.srv.PublicAuthorizationCode(), "made once")
	assert.Empty(t, pub.ClientSecret)
	assert.NotEqual(t, ac.ClientID, pub.ClientID)
	assert.Equal(t, "http://127.0.0.1:0/callback", pub.RedirectURL)

	t.Run("confidential", func(t *testing.T) {
		redirectURI := strings.Replace(ac.RedirectURL, ":0/", ":43117/", 1)
		verifier, challenge := pkce()
		q := authParams(ac.ClientID, redirectURI, challenge)
		q.Set("scope", "rest_webservices restlets")
		i := issued{code: f.grantCode(t, q), verifier: verifier, redirectURI: redirectURI, clientID: ac.ClientID, secret: ac.ClientSecret}
		at, rt := f.exchangeOK(t, i)
		assert.Equal(t, 200, f.api(t, restletPath, at))
		assert.Equal(t, t0.Add(7*24*time.Hour), expClaim(t, rt))
		r := f.refresh(t, i, rt)
		require.Equal(t, 200, r.status, r.raw)
		assert.NotContains(t, r.body, "refresh_token")
	})

	t.Run("public", func(t *testing.T) {
		redirectURI := strings.Replace(pub.RedirectURL, ":0/", ":43118/", 1)
		verifier, challenge := pkce()
		i := issued{code: f.grantCode(t, authParams(pub.ClientID, redirectURI, challenge)), verifier: verifier,
			redirectURI: redirectURI, clientID: pub.ClientID}
		at, rt := f.exchangeOK(t, i)
		assert.Equal(t, 200, f.api(t, catalog, at))
		assert.Equal(t, t0.Add(48*time.Hour), expClaim(t, rt), "public default: 48 hours")
		r := f.refresh(t, i, rt)
		require.Equal(t, 200, r.status, r.raw)
		assert.NotEqual(t, rt, r.body["refresh_token"])
		assert.False(t, f.srv.RefreshTokenAlive(rt))
	})

	t.Run("public client needs PKCE", func(t *testing.T) {
		q := authParams(pub.ClientID, "http://127.0.0.1:5000/callback", "")
		assert.Equal(t, "invalid_request", f.authorize(t, http.MethodGet, q.Encode()).query.Get("error"))
	})
}

// TestConcurrentRotation: of many refreshes with one rotating refresh
// token, exactly one wins.
func TestConcurrentRotation(t *testing.T) {
	f := newACFixture(t)
	i := f.newCode(t, true)
	_, rt := f.exchangeOK(t, i)
	const n = 16
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for k := range n {
		wg.Go(func() {
			v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {acPublicID}}
			resp, err := http.PostForm(f.srv.TokenURL(), v)
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[k] = resp.StatusCode
		})
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		if s == 200 {
			won++
		} else {
			assert.Equal(t, 400, s)
		}
	}
	assert.Equal(t, 1, won)
	assert.Equal(t, 1, f.srv.Grants()["refresh_token"])
}

func TestAuthorizeFaultsAndHandler(t *testing.T) {
	t.Run("injected faults come first", func(t *testing.T) {
		f := newACFixture(t)
		f.srv.FailNext(1, 503, "")
		_, challenge := pkce()
		q := authParams(acConfID, acRedirect, challenge)
		a := f.authorize(t, http.MethodGet, q.Encode())
		assert.Equal(t, 503, a.status)
		assert.Empty(t, a.location)
		f.grantCode(t, q)
	})

	t.Run("without a listener", func(t *testing.T) {
		srv := netsuitetest.NewHandler()
		srv.AddAuthCodeClient(netsuitetest.AuthCodeClient{ClientID: acPublicID, RedirectURI: acLoopback})
		_, challenge := pkce()
		q := authParams(acPublicID, "http://127.0.0.1:7777/callback", challenge)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "https://1234567-sb1.app.netsuite.com"+netsuitetest.AuthorizePath+"?"+q.Encode(), nil))
		assert.Equal(t, http.StatusFound, w.Code)
		assert.True(t, strings.HasPrefix(w.Header().Get("Location"), "http://127.0.0.1:7777/callback?code="))
		reqs := srv.Requests()
		require.Len(t, reqs, 1)
		assert.Equal(t, netsuitetest.AuthorizePath, reqs[0].Path)
		assert.Equal(t, http.StatusFound, reqs[0].Status)
	})
}
