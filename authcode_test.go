package netsuite_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

// authorize plays the browser for the legs API: it GETs the authorization
// URL (without following the redirect) and returns the callback query.
func authorize(t *testing.T, client *http.Client, authURL string) url.Values {
	t.Helper()
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return loc.Query()
}

// inMemory returns a Config for srv whose requests stay in memory, for
// synctest bubbles.
func inMemory(srv *netsuitetest.Server) netsuite.Config {
	cfg := srv.Config()
	cfg.BaseURL = "http://127.0.0.1:9"
	cfg.Transport = handlerTransport{srv}
	return cfg
}

// login runs the three legs against srv and returns the Connection.
func login(t *testing.T, srv *netsuitetest.Server, cfg netsuite.Config) *netsuite.Connection {
	t.Helper()
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	req, err := conn.AuthCodeURL("")
	require.NoError(t, err)
	q := authorize(t, &http.Client{Transport: cfg.Transport}, req.URL)
	cb, err := netsuite.ParseCallback(q, req.State)
	require.NoError(t, err)
	assert.Equal(t, srv.AccountID(), cb.Company)
	_, err = conn.Exchange(context.Background(), cb.Code, req.Verifier)
	require.NoError(t, err)
	return conn
}

func get(t *testing.T, conn *netsuite.Connection, path string) error {
	t.Helper()
	req, _ := http.NewRequest("GET", conn.BaseURL()+path, nil)
	resp, err := conn.RoundTrip(req)
	if err != nil {
		return err
	}
	return netsuite.CheckResponse(resp)
}

func TestAuthCodeURL(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	ac := srv.AuthorizationCode()
	ac.RedirectURL = "http://127.0.0.1:8765/callback"
	ac.Scopes = []string{"rest_webservices", "restlets"}
	ac.AuthParams = url.Values{"prompt": {"login"}}
	cfg.Auth = ac
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	req, err := conn.AuthCodeURL("")
	require.NoError(t, err)
	u, err := url.Parse(req.URL)
	require.NoError(t, err)
	q := u.Query()
	assert.Equal(t, srv.URL+"/app/login/oauth2/authorize.nl", strings.Split(req.URL, "?")[0])
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, ac.ClientID, q.Get("client_id"))
	assert.Equal(t, ac.RedirectURL, q.Get("redirect_uri"))
	assert.Equal(t, "rest_webservices restlets", q.Get("scope"))
	assert.Contains(t, req.URL, "scope=rest_webservices%20restlets")
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.Equal(t, oauth2.S256ChallengeFromVerifier(req.Verifier), q.Get("code_challenge"))
	assert.Equal(t, "login", q.Get("prompt"))
	assert.GreaterOrEqual(t, len(req.State), 43, "32 random bytes")
	assert.Equal(t, req.State, q.Get("state"))
	assert.NotContains(t, req.URL, req.Verifier)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", req, req, *req), req.Verifier)

	other, _ := conn.AuthCodeURL("")
	assert.NotEqual(t, req.State, other.State)
	assert.NotEqual(t, req.Verifier, other.Verifier)

	_, err = conn.AuthCodeURL("too-short-state")
	assert.ErrorContains(t, err, "24 to 1024")
	mine := strings.Repeat("s", 24)
	req, err = conn.AuthCodeURL(mine)
	require.NoError(t, err)
	assert.Equal(t, mine, req.State)

	tba, _ := netsuite.NewConnection(netsuite.Config{AccountID: "1", Auth: testTBA})
	_, err = tba.AuthCodeURL("")
	assert.ErrorIs(t, err, netsuite.ErrNotAuthorizationCode)
}

func TestParseCallback(t *testing.T) {
	const state = "the-state-of-at-least-24-chars"
	tests := []struct {
		name  string
		query string
		want  error
		msg   string
	}{
		{"ok", "code=c&state=" + state + "&company=1234567_SB1&role=3&entity=-5", nil, ""},
		{"state mismatch comes first", "error=access_denied&state=other-state-xxxxxxxxxxxxxxx", netsuite.ErrStateMismatch, "start the authorization again"},
		{"no state", "code=c", netsuite.ErrStateMismatch, "no state"},
		{"denied", "error=access_denied&error_description=User+said+no&state=" + state, netsuite.ErrAccessDenied, "User said no"},
		{"no code", "state=" + state, nil, "neither a code nor an error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			cb, err := netsuite.ParseCallback(q, state)
			switch {
			case tt.msg == "":
				require.NoError(t, err)
				assert.Equal(t, "c", cb.Code)
				assert.Equal(t, "1234567_SB1", cb.Company)
				assert.Equal(t, "3", cb.Role)
				assert.Equal(t, "-5", cb.Entity)
				assert.NotContains(t, fmt.Sprint(cb), "Code:c ")
			default:
				require.Error(t, err)
				if tt.want != nil {
					assert.ErrorIs(t, err, tt.want)
				}
				assert.Contains(t, err.Error(), tt.msg)
			}
		})
	}
}

// TestAuthorizationCodeLifecycle: login → API call → expiry → refresh →
// API call, for a confidential client and a public (rotating) one, in fake
// time.
func TestAuthorizationCodeLifecycle(t *testing.T) {
	for _, public := range []bool{false, true} {
		t.Run(map[bool]string{false: "confidential", true: "public"}[public], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := netsuitetest.NewHandler()
				cfg := inMemory(srv)
				cfg.Auth = srv.AuthorizationCode()
				if public {
					cfg.Auth = srv.PublicAuthorizationCode()
				}
				conn := login(t, srv, cfg)
				defer conn.Close()
				require.NoError(t, get(t, conn, "/services/rest/record/v1/customer/107"))
				first, err := conn.TokenSource().Token()
				require.NoError(t, err)

				time.Sleep(61 * time.Minute)
				require.NoError(t, get(t, conn, "/services/rest/record/v1/customer/107"))
				second, err := conn.TokenSource().Token()
				require.NoError(t, err)
				assert.NotEqual(t, first.AccessToken, second.AccessToken)
				assert.Equal(t, 1, srv.Grants()["refresh_token"])
				if public {
					assert.NotEqual(t, first.RefreshToken, second.RefreshToken, "rotated")
					assert.False(t, srv.RefreshTokenAlive(first.RefreshToken))
				} else {
					assert.Equal(t, first.RefreshToken, second.RefreshToken, "kept when the response has none")
				}
				assert.True(t, srv.RefreshTokenAlive(second.RefreshToken))
			})
		})
	}
}

// TestAuthorizationCodeRestartAndReauthorize: a new Connection on the same
// token file continues without login; once the refresh token has expired,
// requests fail with ErrReauthorize, once, without a retry storm.
func TestAuthorizationCodeRestartAndReauthorize(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		srv := netsuitetest.NewHandler()
		cfg := inMemory(srv)
		ac := srv.AuthorizationCode()
		ac.Store = netsuite.NewFileStore(filepath.Join(dir, "tokens", "nsauth.json"))
		cfg.Auth = ac
		conn := login(t, srv, cfg)
		require.NoError(t, get(t, conn, "/services/rest/record/v1/customer/107"))
		require.NoError(t, conn.Close())

		// A restart, an hour later.
		time.Sleep(time.Hour)
		again, err := netsuite.NewConnection(cfg)
		require.NoError(t, err)
		require.NoError(t, get(t, again, "/services/rest/record/v1/customer/107"))
		assert.Equal(t, 1, srv.Grants()["authorization_code"], "no new login")
		assert.Equal(t, 1, srv.Grants()["refresh_token"])
		require.NoError(t, again.Close())

		// Eight days later the refresh token is dead.
		time.Sleep(8 * 24 * time.Hour)
		third, err := netsuite.NewConnection(cfg)
		require.NoError(t, err)
		defer third.Close()
		before := srv.TokenRequests()
		err = get(t, third, "/services/rest/record/v1/customer/107")
		require.Error(t, err)
		assert.ErrorIs(t, err, netsuite.ErrReauthorize)
		assert.Contains(t, err.Error(), "nsauth login")
		assert.Equal(t, before+1, srv.TokenRequests(), "one refresh attempt")
		err = get(t, third, "/services/rest/record/v1/customer/107")
		assert.ErrorIs(t, err, netsuite.ErrReauthorize)
		assert.Equal(t, before+1, srv.TokenRequests(), "a dead refresh token is not sent again")
	})
}

// TestAuthorizationCodeSharedStore: two Connections with their own caches
// share one file store; 50 concurrent requests each across expiries, with
// rotating refresh tokens: never invalid_grant, and the store ends with the
// newest refresh token.
func TestAuthorizationCodeSharedStore(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		srv := netsuitetest.NewHandler()
		cfg := inMemory(srv)
		ac := srv.PublicAuthorizationCode()
		ac.Store = netsuite.NewFileStore(filepath.Join(dir, "shared.json"))
		cfg.Auth = ac
		a := login(t, srv, cfg)
		defer a.Close()
		b, err := netsuite.NewConnection(cfg)
		require.NoError(t, err)
		defer b.Close()

		var mu sync.Mutex
		var failures []error
		var wg sync.WaitGroup
		for _, conn := range []*netsuite.Connection{a, b} {
			for range 50 {
				wg.Go(func() {
					for range 5 {
						if err := get(t, conn, "/services/rest/record/v1/customer/107"); err != nil {
							mu.Lock()
							failures = append(failures, err)
							mu.Unlock()
						}
						time.Sleep(37 * time.Minute)
					}
				})
			}
		}
		wg.Wait()
		assert.Empty(t, failures)
		for _, r := range srv.Requests() {
			assert.NotContains(t, r.Reject, "refresh", "no refresh token was refused")
		}
		stored, err := ac.Store.Load(context.Background())
		require.NoError(t, err)
		assert.True(t, srv.RefreshTokenAlive(stored.RefreshToken), "the store holds the newest refresh token")
		assert.GreaterOrEqual(t, srv.Grants()["refresh_token"], 2)
	})
}

func TestAuthorizationCodeWithoutToken(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.Auth = srv.AuthorizationCode()
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	defer conn.Close()
	err = conn.TestConnection(bg)
	assert.ErrorIs(t, err, netsuite.ErrReauthorize)
	assert.Contains(t, err.Error(), "there is no token (never authorized")
	assert.Equal(t, 0, srv.TokenRequests())
}

func TestRevoke(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := netsuitetest.NewHandler()
		cfg := inMemory(srv)
		ac := srv.AuthorizationCode()
		ac.Store = netsuite.NewFileStore(filepath.Join(t.TempDir(), "tok.json"))
		cfg.Auth = ac
		conn := login(t, srv, cfg)
		defer conn.Close()
		tok, err := conn.TokenSource().Token()
		require.NoError(t, err)
		require.NoError(t, conn.Revoke(context.Background()))
		assert.False(t, srv.RefreshTokenAlive(tok.RefreshToken))
		stored, err := ac.Store.Load(context.Background())
		require.NoError(t, err)
		assert.Nil(t, stored, "the store is cleared")
		assert.ErrorIs(t, get(t, conn, "/services/rest/record/v1/customer/107"), netsuite.ErrReauthorize)
		revokes := 0
		for _, r := range srv.Requests() {
			if strings.HasSuffix(r.Path, "/revoke") {
				revokes++
				assert.True(t, strings.HasPrefix(r.Header.Get("Authorization"), "Basic "))
			}
		}
		assert.Equal(t, 1, revokes)
	})
}

func TestRefreshTokenExpiryWarning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := netsuitetest.NewHandler()
		cfg := inMemory(srv)
		var logs strings.Builder
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		ac := srv.AuthorizationCode()
		var warned []time.Time
		ac.OnRefreshTokenExpiring = func(exp time.Time) { warned = append(warned, exp) }
		cfg.Auth = ac
		conn := login(t, srv, cfg)
		defer conn.Close()
		assert.Empty(t, warned)
		time.Sleep(6*24*time.Hour + 12*time.Hour) // half a day left
		require.NoError(t, get(t, conn, "/services/rest/record/v1/customer/107"))
		require.Len(t, warned, 1)
		assert.WithinDuration(t, time.Now().Add(12*time.Hour), warned[0], time.Hour)
		assert.Contains(t, logs.String(), "refresh token expires soon")
		time.Sleep(2 * time.Hour)
		require.NoError(t, get(t, conn, "/services/rest/record/v1/customer/107"))
		assert.Len(t, warned, 1, "warned once")
	})
}

// browser follows the authorization redirect to the loopback callback, as
// a browser would, and reports what the result page said.
type browser struct {
	mu    sync.Mutex
	pages []string
}

func (b *browser) open(_ context.Context, u string) error {
	go func() {
		resp, err := http.Get(u)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b.mu.Lock()
		b.pages = append(b.pages, fmt.Sprintf("%d %s", resp.StatusCode, body))
		b.mu.Unlock()
	}()
	return nil
}

func TestGenerate(t *testing.T) {
	for _, public := range []bool{false, true} {
		t.Run(map[bool]string{false: "confidential", true: "public"}[public], func(t *testing.T) {
			srv := netsuitetest.NewServer()
			defer srv.Close()
			srv.SetLogin("1234567_SB1", "1001", "42")
			cfg := srv.Config()
			ac := srv.AuthorizationCode()
			if public {
				ac = srv.PublicAuthorizationCode()
			}
			ac.Store = netsuite.NewFileStore(filepath.Join(t.TempDir(), "tok.json"))
			cfg.Auth = ac
			conn, err := netsuite.NewConnection(cfg)
			require.NoError(t, err)
			defer conn.Close()
			var out strings.Builder
			b := &browser{}
			auth, err := conn.Generate(bg, netsuite.GenerateOptions{OpenBrowser: b.open, Out: &out, Timeout: 10 * time.Second})
			require.NoError(t, err)
			assert.Equal(t, "1234567_SB1", auth.Company)
			assert.Equal(t, "1001", auth.Role)
			assert.Equal(t, "42", auth.Entity)
			assert.Contains(t, out.String(), "Open this URL")
			assert.NotContains(t, fmt.Sprintf("%v", auth), auth.Token.AccessToken)
			require.NoError(t, conn.TestConnection(bg), "the token is in use at once")
			stored, err := ac.Store.Load(bg)
			require.NoError(t, err)
			assert.Equal(t, auth.Token.RefreshToken, stored.RefreshToken, "and saved")
			require.Eventually(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.pages) == 1 }, 5*time.Second, 10*time.Millisecond)
			assert.Contains(t, b.pages[0], "200 ")
			assert.Contains(t, b.pages[0], "authorization complete")
			assertListenerClosed(t, out.String())
		})
	}
}

// assertListenerClosed checks that nothing listens at the redirect address
// Generate printed any more.
func assertListenerClosed(t *testing.T, out string) {
	t.Helper()
	i := strings.Index(out, "redirect to http://")
	require.GreaterOrEqual(t, i, 0, out)
	rest := out[i+len("redirect to http://"):]
	addr := rest[:strings.IndexByte(rest, '/')]
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	assert.Error(t, err, "the callback listener must be closed")
}

func TestGenerateFailures(t *testing.T) {
	type setup struct {
		srv  *netsuitetest.Server
		conn *netsuite.Connection
	}
	tests := []struct {
		name    string
		prepare func(s setup)
		open    func(s setup, u string)
		timeout time.Duration
		is      error
		msg     string
	}{
		{"denied", func(s setup) { s.srv.DenyAuthorization("access_denied", "The user denied access") },
			func(s setup, u string) { http.Get(u) }, 0, netsuite.ErrAccessDenied, "The user denied access"},
		{"forged callback ignored, then the real one", nil, func(s setup, u string) {
			cb := callbackURL(u)
			resp, err := http.Get(cb + "?code=forged&state=wrong-state-aaaaaaaaaaaaaaaa")
			if err == nil {
				resp.Body.Close()
			}
			http.Get(u)
		}, 0, nil, ""},
		{"missing code", nil, func(s setup, u string) {
			q, _ := url.Parse(u)
			http.Get(callbackURL(u) + "?state=" + url.QueryEscape(q.Query().Get("state")))
		}, 0, nil, "neither a code nor an error"},
		{"timeout", nil, func(setup, string) {}, 300 * time.Millisecond, context.DeadlineExceeded, "no authorization arrived"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := netsuitetest.NewServer()
			defer srv.Close()
			cfg := srv.Config()
			cfg.Auth = srv.AuthorizationCode()
			conn, err := netsuite.NewConnection(cfg)
			require.NoError(t, err)
			defer conn.Close()
			s := setup{srv, conn}
			if tt.prepare != nil {
				tt.prepare(s)
			}
			var out strings.Builder
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			_, err = conn.Generate(bg, netsuite.GenerateOptions{Out: &out, Timeout: timeout,
				OpenBrowser: func(_ context.Context, u string) error { go tt.open(s, u); return nil }})
			if tt.msg == "" && tt.is == nil {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				if tt.is != nil {
					assert.ErrorIs(t, err, tt.is)
				}
				assert.Contains(t, err.Error(), tt.msg)
			}
			assertListenerClosed(t, out.String())
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		srv := netsuitetest.NewServer()
		defer srv.Close()
		cfg := srv.Config()
		cfg.Auth = srv.AuthorizationCode()
		conn, err := netsuite.NewConnection(cfg)
		require.NoError(t, err)
		defer conn.Close()
		ctx, cancel := context.WithCancel(bg)
		time.AfterFunc(100*time.Millisecond, cancel)
		var out strings.Builder
		_, err = conn.Generate(ctx, netsuite.GenerateOptions{Out: &out})
		assert.ErrorIs(t, err, context.Canceled)
		assertListenerClosed(t, out.String())
	})
	t.Run("redirect URL not loopback", func(t *testing.T) {
		ac := netsuite.AuthorizationCode{ClientID: "c", ClientSecret: "s", RedirectURL: "https://app.example.com/callback"}
		conn, err := netsuite.NewConnection(netsuite.Config{AccountID: "1", Auth: ac})
		require.NoError(t, err)
		_, err = conn.Generate(bg, netsuite.GenerateOptions{})
		assert.ErrorContains(t, err, "loopback")
	})
}

// callbackURL extracts the redirect_uri of an authorization URL.
func callbackURL(authURL string) string {
	u, _ := url.Parse(authURL)
	return u.Query().Get("redirect_uri")
}

var _ = errors.Is

func TestAuthorizationCodeSettingsRejected(t *testing.T) {
	for _, tt := range []struct{ redirect, why string }{
		{"http://127.0.0.1:0/callback#x", "fragment"},
		{"http://127.0.0.1:99999/callback", "port"},
		{"/callback", "absolute"},
	} {
		_, err := netsuite.NewConnection(netsuite.Config{AccountID: "1", Auth: netsuite.AuthorizationCode{ClientID: "c", RedirectURL: tt.redirect}})
		assert.ErrorIs(t, err, netsuite.ErrInvalidConfig, tt.redirect)
		assert.ErrorContains(t, err, tt.why, tt.redirect)
	}
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.Auth = srv.AuthorizationCode()
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	_, err = conn.AuthCodeURL(strings.Repeat("é", 12))
	assert.ErrorContains(t, err, "printable ASCII")
	_, err = conn.AuthCodeURL("short")
	assert.ErrorContains(t, err, "24 to 1024 characters (got 5)")

	require.NoError(t, conn.Close())
	_, err = conn.AuthCodeURL("")
	assert.ErrorIs(t, err, netsuite.ErrClosed)
	_, err = conn.Exchange(bg, "code", "verifier")
	assert.ErrorIs(t, err, netsuite.ErrClosed)
	assert.ErrorIs(t, conn.Revoke(bg), netsuite.ErrClosed)
	_, err = conn.Generate(bg, netsuite.GenerateOptions{})
	assert.ErrorIs(t, err, netsuite.ErrClosed)
	assert.Equal(t, 0, srv.TokenRequests())
}

// TestRefusedRefreshTokenLeavesTheStore: once NetSuite refuses a refresh
// token, a shared (locked) store forgets it, so that the next process does
// not send it again.
func TestRefusedRefreshTokenLeavesTheStore(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		srv := netsuitetest.NewHandler()
		cfg := inMemory(srv)
		ac := srv.AuthorizationCode()
		ac.Store = netsuite.NewFileStore(filepath.Join(dir, "t.json"))
		cfg.Auth = ac
		conn := login(t, srv, cfg)
		tok, err := conn.TokenSource().Token()
		require.NoError(t, err)
		require.NoError(t, conn.Close())
		srv.RevokeAccessToken(tok.AccessToken)
		time.Sleep(8 * 24 * time.Hour)

		next, err := netsuite.NewConnection(cfg)
		require.NoError(t, err)
		assert.ErrorIs(t, get(t, next, "/services/rest/record/v1/customer/107"), netsuite.ErrReauthorize)
		stored, err := ac.Store.Load(bg)
		require.NoError(t, err)
		assert.Nil(t, stored, "the refused refresh token is gone from the store")
		next.Close()

		before := srv.TokenRequests()
		third, err := netsuite.NewConnection(cfg)
		require.NoError(t, err)
		defer third.Close()
		assert.ErrorIs(t, get(t, third, "/services/rest/record/v1/customer/107"), netsuite.ErrReauthorize)
		assert.Equal(t, before, srv.TokenRequests(), "no process sends it again")
	})
}
