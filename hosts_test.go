package netsuite_test

// Credentials stay home (issue 7, item 2). Promises and the tests that prove
// them:
//
//  1. A redirect (301, 302, 307, 308; GET, and POST with a replayable body)
//     from the account's host to another host, to http:// (the same host or
//     another), to a look-alike host (1234567-sb1.suitetalk.api.netsuite.com.evil.example,
//     evil.example/1234567-sb1.suitetalk.api.netsuite.com, user info before
//     the real host, a scheme-relative URL, another account's host, another
//     port, the account's UI host, Cyrillic and fullwidth look-alikes,
//     percent-encoded dots) carries no credentials: the Connection refuses
//     it before anything is sent, so the foreign host is never contacted —
//     for TBA, client credentials and authorization code alike. Redirects
//     within the account's own hosts (another spelling of the REST host, the
//     RESTlets host) are followed with credentials:
//     TestRedirectsCarryNoCredentials. (TestRedirectToForeignHostGetsNoCredentials
//     in connection_test.go shows the same against a real foreign listener.)
//  2. A Base URL, token URL, revoke URL or authorization URL on plain
//     http:// is refused unless its host is loopback (localhost, 127.0.0.0/8,
//     ::1); look-alikes of loopback are not loopback:
//     TestPlainHTTPOnlyOnLoopback. A token or revoke URL must be on the
//     account's REST host or the Base URL's host: TestTokenURLMustBeTheAccounts
//     (connection_test.go) and the look-alike rows of TestTokenURLLookAlikes.
//  3. An account ID that would change the host — 1234567.evil, 1234567/x,
//     1234567@x, 1234567:443, unicode look-alikes (fullwidth digits, Cyrillic
//     letters, soft hyphens, zero-width spaces), percent-encoded dots,
//     punycode, NUL — is refused, whether given as Config.AccountID,
//     ParseAccount's input or the host of Config.BaseURL; an accepted one
//     only ever yields <[a-z0-9-]+>.suitetalk.api.netsuite.com:
//     TestAccountIDsCannotChangeTheHost (with TestParseAccountRejects and
//     FuzzParseAccount in account_test.go).
//  4. The token endpoint client never follows a redirect (301, 302, 307,
//     308) — client credentials, authorization-code exchange, refresh and
//     revoke: the redirect is an error that names it, and the target is
//     never contacted: TestTokenEndpointNeverFollowsRedirects (with
//     TestClientCredentialsNoRedirect in oauth2_jwt_test.go).

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

// hostRouter is a base transport that serves the account's real NetSuite
// host names from a netsuitetest handler, in memory and as https, and
// records every request to any other host (answering it as a thief would).
type hostRouter struct {
	hosts map[string]http.Handler

	mu      sync.Mutex
	foreign []string // "METHOD URL Authorization" of each request to another host
}

func newHostRouter(fake *netsuitetest.Server) *hostRouter {
	h := fake.Account().Host()
	return &hostRouter{hosts: map[string]http.Handler{
		h + ".suitetalk.api.netsuite.com": fake,
		h + ".restlets.api.netsuite.com":  fake,
		h + ".app.netsuite.com":           fake, // the authorization page
	}}
}

func (rt *hostRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	// A real transport reaches the same host for any letter case, a
	// trailing dot and the default port.
	host := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(req.URL.Host), ":443"), ".")
	h, ok := rt.hosts[host]
	if !ok || req.URL.Scheme != "https" {
		rt.mu.Lock()
		rt.foreign = append(rt.foreign, fmt.Sprintf("%s %s Authorization=%q", req.Method, req.URL, req.Header.Get("Authorization")))
		rt.mu.Unlock()
		if req.Body != nil {
			req.Body.Close()
		}
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{},
			Body: http.NoBody, Request: req}, nil
	}
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.Host = req.URL.Host
	in.TLS = &tls.ConnectionState{} // as NetSuite's hosts are reached: over https
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, in)
	if req.Body != nil {
		req.Body.Close()
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

func (rt *hostRouter) contacted() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]string(nil), rt.foreign...)
}

// routedConnection returns a Connection to the fake's account under its
// real NetSuite host names, sent through a hostRouter.
func routedConnection(t *testing.T, kind string) (*netsuite.Connection, *netsuitetest.Server, *hostRouter) {
	t.Helper()
	fake := netsuitetest.NewHandler()
	rt := newHostRouter(fake)
	cfg := netsuite.Config{AccountID: fake.AccountID(), Transport: rt}
	switch kind {
	case "TBA":
		cfg.Auth = fake.TBA()
	case "ClientCredentials":
		cc := fake.ClientCredentials()
		cc.Scopes = []string{netsuite.ScopeRESTWebServices, netsuite.ScopeRESTlets}
		cfg.Auth = cc
	case "AuthorizationCode":
		ac := fake.AuthorizationCode()
		ac.Scopes = []string{netsuite.ScopeRESTWebServices, netsuite.ScopeRESTlets}
		cfg.Auth = ac
		conn := login(t, fake, cfg)
		t.Cleanup(func() { conn.Close() })
		return conn, fake, rt
	}
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	// Fetch the first token now, so that the faults injected later answer
	// API requests, not token requests.
	require.NoError(t, conn.TestConnection(bg))
	return conn, fake, rt
}

func TestRedirectsCarryNoCredentials(t *testing.T) {
	const home = "https://1234567-sb1.suitetalk.api.netsuite.com"
	refused := []string{
		"https://evil.example/steal",
		"http://evil.example/steal",
		"http://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer/108",
		"http://127.0.0.1/steal",
		"https://1234567-sb1.suitetalk.api.netsuite.com.evil.example/steal",
		"https://evil.example/1234567-sb1.suitetalk.api.netsuite.com",
		"https://1234567-sb1.suitetalk.api.netsuite.com@evil.example/steal",
		"https://1234567-sb1.suitetalk.api.netsuite.com:443@evil.example/steal",
		"//evil.example/steal",
		"https://7654321.suitetalk.api.netsuite.com/services/rest/record/v1/customer/108",
		"https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1/customer/108", // production, not the sandbox
		"https://1234567-sb1.suitetalk.api.netsuite.com:8443/steal",
		"https://1234567-sb1.app.netsuite.com/app/center/card.nl",
		"https://1234567-sb1.suitetalk.api.netsuite.c\u043em/steal",      // Cyrillic о
		"https://\uff11234567-sb1.suitetalk.api.netsuite.com/steal",      // fullwidth 1
		"https://1234567-sb1.suitetalk.api.netsuite.com%2eevil.example/", // percent-encoded dot
		"https://1234567-sb1%2esuitetalk.api.netsuite.com/steal",
		"https://xn--1234567-sb1-abc.suitetalk.api.netsuite.com/steal",
		"ftp://1234567-sb1.suitetalk.api.netsuite.com/steal",
	}
	followed := []string{
		"https://1234567-SB1.SuiteTalk.api.netsuite.com:443/services/rest/record/v1/customer/108",
		"https://1234567-sb1.suitetalk.api.netsuite.com./services/rest/record/v1/customer/108",
		"https://1234567-sb1.restlets.api.netsuite.com/app/site/hosting/restlet.nl?script=1&deploy=1",
	}
	for _, kind := range []string{"TBA", "ClientCredentials", "AuthorizationCode"} {
		t.Run(kind, func(t *testing.T) {
			conn, fake, rt := routedConnection(t, kind)
			send := func(method string) (*http.Response, error) {
				var req *http.Request
				var err error
				if method == "POST" {
					req, err = http.NewRequest("POST", home+"/services/rest/query/v1/suiteql", strings.NewReader(`{"q":"SELECT id FROM customer"}`))
					req.Header.Set("Prefer", "transient")
					req.Header.Set("Content-Type", "application/json")
				} else {
					req, err = http.NewRequest("GET", home+"/services/rest/record/v1/customer/107", nil)
				}
				require.NoError(t, err)
				return conn.Client().Do(req)
			}
			for _, code := range []int{301, 302, 307, 308} {
				for _, method := range []string{"GET", "POST"} {
					for _, to := range refused {
						fake.Inject(netsuiteRedirect(code, to))
						resp, err := send(method)
						if resp != nil {
							resp.Body.Close()
						}
						require.Error(t, err, "%d %s → %s was followed", code, method, to)
						if !strings.Contains(to, "%2e") { // Go's client cannot even parse those
							assert.ErrorIs(t, err, netsuite.ErrUntrustedHost, "%d %s → %s", code, method, to)
						}
					}
					for _, to := range followed {
						fake.Inject(netsuiteRedirect(code, to))
						resp, err := send(method)
						require.NoError(t, err, "%d %s → %s", code, method, to)
						resp.Body.Close()
						assert.NotEqual(t, http.StatusUnauthorized, resp.StatusCode, "%d %s → %s: authenticated at the account's own host", code, method, to)
					}
				}
			}
			assert.Empty(t, rt.contacted(), "no request may reach another host")
			for _, r := range fake.Requests() {
				assert.Empty(t, r.Reject, "%s %s", r.Method, r.Path)
			}
		})
	}
}

func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	key, _ := loadFreshKey(t, "ec-p256-sec1.key.pem")
	loopback := []string{"http://127.0.0.1:8080", "http://127.1.2.3", "http://localhost:9", "http://LOCALHOST", "http://[::1]:8080",
		"http://[::ffff:127.0.0.1]:80"}
	notLoopback := []string{"http://proxy.example.com", "http://10.0.0.1", "http://0.0.0.0:8080", "http://[::]:80",
		"http://localhost.evil.example", "http://127.0.0.1.evil.example", "http://127.1", "http://2130706433",
		"http://0x7f000001", "http://localhost%2eevil.example", "http://1234567-sb1.suitetalk.api.netsuite.com"}
	for _, base := range loopback {
		conn, err := netsuite.NewConnection(netsuite.Config{BaseURL: base, AccountID: "1234567_SB1", Auth: testTBA})
		if assert.NoError(t, err, base) {
			conn.Close()
		}
	}
	for _, base := range notLoopback {
		_, err := netsuite.NewConnection(netsuite.Config{BaseURL: base, AccountID: "1234567_SB1", Auth: testTBA})
		assert.ErrorIs(t, err, netsuite.ErrInvalidConfig, base)
	}

	// Token, revoke and authorization URLs: on the Base URL's host (here a
	// loopback one, so http is allowed) or refused.
	const path = "/services/rest/auth/oauth2/v1/token"
	for _, tc := range []struct {
		base, url string
		ok        bool
	}{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080" + path, true},
		{"http://127.0.0.1:8080", "http://localhost:8080" + path, false}, // another host name: not the Base URL's
		{"", "http://1234567-sb1.suitetalk.api.netsuite.com" + path, false},
		{"https://proxy.example.com", "http://proxy.example.com" + path, false},
		{"", "https://1234567-sb1.suitetalk.api.netsuite.com" + path, true},
	} {
		cfg := netsuite.Config{BaseURL: tc.base, AccountID: "1234567_SB1"}
		for name, auth := range map[string]netsuite.Authenticator{
			"ClientCredentials.TokenURL": netsuite.ClientCredentials{ClientID: "c", CertificateID: "k", Key: key, TokenURL: tc.url},
			"AuthorizationCode.TokenURL": netsuite.AuthorizationCode{ClientID: "c", ClientSecret: "s", TokenURL: tc.url},
			"AuthorizationCode.RevokeURL": netsuite.AuthorizationCode{ClientID: "c", ClientSecret: "s",
				RevokeURL: strings.Replace(tc.url, "/token", "/revoke", 1)},
		} {
			cfg.Auth = auth
			conn, err := netsuite.NewConnection(cfg)
			if tc.ok {
				if assert.NoError(t, err, "%s %s", name, tc.url) {
					conn.Close()
				}
				continue
			}
			assert.ErrorIs(t, err, netsuite.ErrInvalidConfig, "%s %s", name, tc.url)
			assert.ErrorContains(t, err, name)
		}
	}
	_, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567_SB1", Auth: netsuite.AuthorizationCode{
		ClientID: "c", AuthURL: "http://1234567-sb1.app.netsuite.com/app/login/oauth2/authorize.nl"}})
	assert.ErrorContains(t, err, "AuthorizationCode.AuthURL", "the authorization page over http would expose the code")
}

func TestTokenURLLookAlikes(t *testing.T) {
	key, _ := loadFreshKey(t, "ec-p256-sec1.key.pem")
	const path = "/services/rest/auth/oauth2/v1/token"
	for _, u := range []string{
		"https://1234567-sb1.suitetalk.api.netsuite.com.evil.example" + path,
		"https://evil.example/1234567-sb1.suitetalk.api.netsuite.com" + path,
		"https://1234567-sb1.suitetalk.api.netsuite.com@evil.example" + path,
		"https://1234567-sb1.restlets.api.netsuite.com" + path, // the account's, but not where tokens are issued
		"https://1234567-sb1.app.netsuite.com" + path,
		"https://1234567-sb1.suitetalk.api.netsuite.com:8443" + path,
		"https://1234567-sb1.suitetalk.api.netsuite.c\u043em" + path,
	} {
		_, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567_SB1", Auth: netsuite.ClientCredentials{
			ClientID: "c", CertificateID: "k", Key: key, TokenURL: u}})
		assert.ErrorIs(t, err, netsuite.ErrInvalidConfig, u)
		_, err = netsuite.NewConnection(netsuite.Config{AccountID: "1234567_SB1", Auth: netsuite.AuthorizationCode{
			ClientID: "c", ClientSecret: "s", TokenURL: u}})
		assert.ErrorIs(t, err, netsuite.ErrInvalidConfig, u)
	}
}

func TestAccountIDsCannotChangeTheHost(t *testing.T) {
	hostile := []string{
		"1234567.evil", "1234567/x", "1234567@x", "1234567:443", "1234567#x", "1234567?x", "1234567\\x",
		"1234567%2eevil", "1234567%2Eevil.example", "1234567%00", "1234567\x00", "1234567 .evil",
		"\uff11\uff12\uff13\uff14\uff15\uff16\uff17",                          // fullwidth digits
		"1234567_\u0405\u04121",                                               // Cyrillic Ѕ and В
		"1234567\u00adsb1", "1234567\u200b", "\u200b1234567", "1234567\ufeff", // soft hyphen, zero-width space, BOM
		"xn--1234567-abc", "1234567-\u0455b1", "evil.example", "evil.example/1234567",
		"https://1234567.suitetalk.api.netsuite.com.evil.example", "https://evil.example/1234567.suitetalk.api.netsuite.com",
		"https://1234567.suitetalk.api.netsuite.com@evil.example", "https://user@1234567.suitetalk.api.netsuite.com",
		"https://1234567%2esuitetalk.api.netsuite.com", "https://1234567.suitetalk.api.netsuite.com%2eevil.example",
		"https://1234567.suitetalk.api.netsuite.c\u043em", "https://\uff11234567.suitetalk.api.netsuite.com",
		"https://a.1234567.suitetalk.api.netsuite.com", "http://1234567.suitetalk.api.netsuite.com",
		"https://1234567.suitetalk.api.netsuite.com:444",
	}
	for _, id := range hostile {
		_, err := netsuite.ParseAccount(id)
		assert.ErrorIs(t, err, netsuite.ErrInvalidConfig, "ParseAccount(%q)", id)
		_, err = netsuite.NewConnection(netsuite.Config{AccountID: id, Auth: testTBA})
		assert.ErrorIs(t, err, netsuite.ErrInvalidConfig, "Config.AccountID %q", id)
		if strings.Contains(id, "://") {
			_, err = netsuite.NewConnection(netsuite.Config{BaseURL: id, Auth: testTBA})
			assert.ErrorIs(t, err, netsuite.ErrInvalidConfig, "Config.BaseURL %q", id)
		}
	}
	// An accepted account names exactly one host per service, made of
	// [a-z0-9-] under NetSuite's domains.
	for _, id := range []string{"1234567", "1234567_SB1", "1234567-sb1", "tstdrv1234567", "1234567_RP",
		"https://1234567-SB1.app.netsuite.com/app/center/card.nl"} {
		conn, err := netsuite.NewConnection(netsuite.Config{AccountID: id, Auth: testTBA})
		require.NoError(t, err, id)
		label, ok := strings.CutSuffix(strings.TrimPrefix(conn.BaseURL(), "https://"), ".suitetalk.api.netsuite.com")
		require.True(t, ok, conn.BaseURL())
		assert.Equal(t, "", strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-"), conn.BaseURL())
		conn.Close()
	}
}

func TestTokenEndpointNeverFollowsRedirects(t *testing.T) {
	var mu sync.Mutex
	var hits []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.Method+" "+r.URL.String()+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		fmt.Fprint(w, `{"access_token":"stolen","token_type":"bearer","expires_in":3600,"refresh_token":"stolen"}`)
	}))
	defer elsewhere.Close()

	calls := map[string]struct {
		auth func(fake *netsuitetest.Server) netsuite.Authenticator
		call func(conn *netsuite.Connection) error
	}{
		"client credentials": {func(fake *netsuitetest.Server) netsuite.Authenticator { return fake.ClientCredentials() },
			func(conn *netsuite.Connection) error { _, err := conn.TokenSource().Token(); return err }},
		"code exchange": {func(fake *netsuitetest.Server) netsuite.Authenticator { return fake.AuthorizationCode() },
			func(conn *netsuite.Connection) error {
				_, err := conn.Exchange(bg, "a-code-from-the-callback", "a-verifier-of-at-least-43-characters-0123456789")
				return err
			}},
		"refresh": {func(fake *netsuitetest.Server) netsuite.Authenticator {
			ac := fake.AuthorizationCode()
			ac.Token = &oauth2.Token{RefreshToken: "a-refresh-token"}
			return ac
		}, func(conn *netsuite.Connection) error { return conn.TestConnection(bg) }},
		"revoke": {func(fake *netsuitetest.Server) netsuite.Authenticator {
			ac := fake.AuthorizationCode()
			ac.Token = &oauth2.Token{RefreshToken: "a-refresh-token"}
			return ac
		}, func(conn *netsuite.Connection) error { return conn.Revoke(bg) }},
	}
	for name, c := range calls {
		for _, code := range []int{301, 302, 303, 307, 308} {
			t.Run(fmt.Sprintf("%s/%d", name, code), func(t *testing.T) {
				fake := netsuitetest.NewServer()
				defer fake.Close()
				cfg := fake.Config()
				cfg.Auth = c.auth(fake)
				conn := mustConnect(t, cfg)
				fake.Inject(netsuiteRedirect(code, elsewhere.URL+"/services/rest/auth/oauth2/v1/token"))
				err := c.call(conn)
				require.Error(t, err)
				var te *netsuite.TokenError
				require.True(t, errors.As(err, &te), "%T %v", err, err)
				assert.Equal(t, code, te.StatusCode)
				assert.Contains(t, err.Error(), "redirect, which is never followed")
				assert.Equal(t, 1, len(fake.Requests()), "one request, not retried")
			})
		}
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, hits, "the redirect target must never be contacted")
}
