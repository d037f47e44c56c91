package netsuite_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite"
)

var testTBA = netsuite.TBA{ConsumerKey: "ck", ConsumerSecret: "cs", TokenID: "tk", TokenSecret: "ts"}

func TestNewConnectionBaseURL(t *testing.T) {
	tests := []struct {
		name, baseURL, accountID, wantBase, wantAccount string
	}{
		{"account only", "", "1234567_SB1", "https://1234567-sb1.suitetalk.api.netsuite.com", "1234567_SB1"},
		{"netsuite base url", "https://1234567-sb1.suitetalk.api.netsuite.com/", "", "https://1234567-sb1.suitetalk.api.netsuite.com", "1234567_SB1"},
		{"path on netsuite host dropped", "https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1", "", "https://1234567.suitetalk.api.netsuite.com", "1234567"},
		{"app host means rest host", "https://1234567.app.netsuite.com/app/center/card.nl", "", "https://1234567.suitetalk.api.netsuite.com", "1234567"},
		{"restlets host kept", "https://1234567.restlets.api.netsuite.com", "1234567", "https://1234567.restlets.api.netsuite.com", "1234567"},
		{"both agree", "https://1234567-SB1.suitetalk.api.netsuite.com:443", "1234567-sb1", "https://1234567-sb1.suitetalk.api.netsuite.com", "1234567_SB1"},
		{"proxy", "https://proxy.example.com/netsuite/", "1234567", "https://proxy.example.com/netsuite", "1234567"},
		{"loopback http", "http://127.0.0.1:8080", "1234567_SB1", "http://127.0.0.1:8080", "1234567_SB1"},
		{"localhost http", "http://LOCALHOST:80/", "1234567", "http://localhost", "1234567"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := netsuite.NewConnection(netsuite.Config{BaseURL: tt.baseURL, AccountID: tt.accountID, Auth: testTBA})
			require.NoError(t, err)
			assert.Equal(t, tt.wantBase, conn.BaseURL())
			assert.Equal(t, tt.wantAccount, conn.Account().ID())
		})
	}
}

func TestNewConnectionRejects(t *testing.T) {
	tests := []struct {
		name  string
		cfg   netsuite.Config
		field string
		why   string
	}{
		{"no auth", netsuite.Config{AccountID: "1234567"}, "Config.Auth", "nil"},
		{"nothing", netsuite.Config{Auth: testTBA}, "Config.BaseURL", "neither"},
		{"bad account", netsuite.Config{AccountID: "1234567.evil", Auth: testTBA}, "Config.AccountID", "not a NetSuite service host"},
		{"account with slash", netsuite.Config{AccountID: "1234567/x", Auth: testTBA}, "Config.AccountID", "'/'"},
		{"proxy without account", netsuite.Config{BaseURL: "https://proxy.example.com", Auth: testTBA}, "Config.AccountID", "not a NetSuite host"},
		{"plain http", netsuite.Config{BaseURL: "http://proxy.example.com", AccountID: "1234567", Auth: testTBA}, "Config.BaseURL", "unencrypted"},
		{"plain http netsuite", netsuite.Config{BaseURL: "http://1234567.suitetalk.api.netsuite.com", Auth: testTBA}, "Config.BaseURL", "https"},
		{"mismatch", netsuite.Config{BaseURL: "https://1234567.suitetalk.api.netsuite.com", AccountID: "7654321", Auth: testTBA}, "Config.AccountID", "7654321"},
		{"relative", netsuite.Config{BaseURL: "1234567.suitetalk", AccountID: "1", Auth: testTBA}, "Config.BaseURL", "absolute"},
		{"userinfo", netsuite.Config{BaseURL: "https://u:p@proxy.example.com", AccountID: "1", Auth: testTBA}, "Config.BaseURL", "password"},
		{"query", netsuite.Config{BaseURL: "https://proxy.example.com/?x=1", AccountID: "1", Auth: testTBA}, "Config.BaseURL", "query"},
		{"look-alike host", netsuite.Config{BaseURL: "https://1234567.suitetalk.api.netsuite.com.evil.example", Auth: testTBA}, "Config.AccountID", "not a NetSuite host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := netsuite.NewConnection(tt.cfg)
			require.Error(t, err)
			assert.ErrorIs(t, err, netsuite.ErrInvalidConfig)
			var ce *netsuite.ConfigError
			require.True(t, errors.As(err, &ce), "%T", err)
			assert.Equal(t, tt.field, ce.Field)
			assert.Contains(t, err.Error(), tt.why)
			assert.NotContains(t, err.Error(), "cs")
		})
	}
}

func TestRoundTripDoesNotModifyRequest(t *testing.T) {
	for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
		t.Run(ct, func(t *testing.T) {
			conn, srv := newTBAConnection(t)
			body := "a=1&b=two+words"
			req, err := http.NewRequest("POST", srv.URL+"/app/site/hosting/restlet.nl?script=1&deploy=1", strings.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", ct)
			req.Header.Set("X-Custom", "v")
			before := req.Clone(req.Context())
			urlBefore := req.URL.String()
			headerBefore := req.Header.Clone()

			resp, err := conn.RoundTrip(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, 200, resp.StatusCode)

			assert.Equal(t, headerBefore, req.Header, "headers changed")
			assert.Empty(t, req.Header.Get("Authorization"))
			assert.Equal(t, urlBefore, req.URL.String())
			assert.Equal(t, before.Method, req.Method)
			assert.Equal(t, before.Host, req.Host)
			// The body reached the server intact, and GetBody still replays it.
			got := srv.Requests()
			require.Len(t, got, 1)
			assert.Equal(t, body, string(got[0].Body))
			rc, err := req.GetBody()
			require.NoError(t, err)
			replay, _ := io.ReadAll(rc)
			assert.Equal(t, body, string(replay))
		})
	}
}

func TestRoundTripClosesBodyOnceOnErrorPaths(t *testing.T) {
	conn, srv := newTBAConnection(t)
	tests := []struct {
		name  string
		build func(b io.ReadCloser) *http.Request
		want  error
	}{
		{"untrusted host", func(b io.ReadCloser) *http.Request {
			r, _ := http.NewRequest("POST", "https://evil.example/x", b)
			return r
		}, netsuite.ErrUntrustedHost},
		{"http to netsuite host", func(b io.ReadCloser) *http.Request {
			r, _ := http.NewRequest("POST", "http://1234567-sb1.suitetalk.api.netsuite.com/x", b)
			return r
		}, netsuite.ErrUntrustedHost},
		{"host header override", func(b io.ReadCloser) *http.Request {
			r, _ := http.NewRequest("POST", srv.URL+"/x", b)
			r.Host = "evil.example"
			return r
		}, netsuite.ErrUntrustedHost},
		{"unsignable query", func(b io.ReadCloser) *http.Request {
			r, _ := http.NewRequest("POST", srv.URL+"/x?a=%zz", b)
			return r
		}, nil},
		{"unsignable form body without GetBody", func(b io.ReadCloser) *http.Request {
			r, _ := http.NewRequest("POST", srv.URL+"/x", nil)
			r.Body = b
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			body := newTrackedBody("a=%zz")
			resp, err := conn.RoundTrip(tt.build(body))
			require.Error(t, err)
			assert.Nil(t, resp)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			}
			assert.Equal(t, int32(1), body.closes.Load(), "body must be closed exactly once")
			assert.Empty(t, srv.Requests(), "nothing may be sent")
		})
	}
}

func TestRedirectToForeignHostGetsNoCredentials(t *testing.T) {
	var mu sync.Mutex
	var foreignAuth []string
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		foreignAuth = append(foreignAuth, r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer foreign.Close()
	for _, code := range []int{301, 302, 307, 308} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			conn, srv := newTBAConnection(t)
			srv.Inject(netsuiteRedirect(code, foreign.URL+"/steal"))
			resp, err := conn.Client().Get(srv.URL + "/services/rest/record/v1/customer/107")
			if resp != nil {
				resp.Body.Close()
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, netsuite.ErrUntrustedHost)
			assert.Contains(t, err.Error(), "was not sent")
		})
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, foreignAuth, "the foreign host must not even be contacted")
}

func TestRoundTripConcurrent(t *testing.T) {
	conn, srv := newTBAConnection(t)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			resp, err := conn.Client().Get(srv.URL + "/services/rest/record/v1/customer/107")
			if assert.NoError(t, err) {
				assert.Equal(t, 200, resp.StatusCode)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	assert.Len(t, srv.Requests(), 50)
}

func TestUserAgent(t *testing.T) {
	rec := &recorder{}
	conn, err := netsuite.NewConnection(netsuite.Config{AccountID: "1", Auth: testTBA, Transport: rec, UserAgent: "billing-sync/2"})
	require.NoError(t, err)
	req, _ := http.NewRequest("GET", "https://1.suitetalk.api.netsuite.com/", nil)
	resp, _ := conn.RoundTrip(req)
	resp.Body.Close()
	assert.Equal(t, "billing-sync/2", rec.last(t).Header.Get("User-Agent"))
	req.Header.Set("User-Agent", "mine")
	resp, _ = conn.RoundTrip(req)
	resp.Body.Close()
	assert.Equal(t, "mine", rec.last(t).Header.Get("User-Agent"))
}

func TestNewConnectionTypedNilAuth(t *testing.T) {
	for _, auth := range []netsuite.Authenticator{(*netsuite.ClientCredentials)(nil), (*netsuite.TBA)(nil), (*netsuite.AuthorizationCode)(nil)} {
		_, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567", Auth: auth})
		assert.ErrorIs(t, err, netsuite.ErrInvalidConfig)
		assert.ErrorContains(t, err, "Config.Auth")
	}
}

func TestClosedConnection(t *testing.T) {
	conn, srv := newTBAConnection(t)
	require.NoError(t, conn.Close())
	body := newTrackedBody("x")
	req, _ := http.NewRequest("POST", srv.URL+"/x", body)
	_, err := conn.RoundTrip(req)
	assert.ErrorIs(t, err, netsuite.ErrClosed)
	assert.Equal(t, int32(1), body.closes.Load())
	assert.Empty(t, srv.Requests())
}

func TestTestConnectionNilContext(t *testing.T) {
	conn, _ := newTBAConnection(t)
	//lint:ignore SA1012 a nil context is what this test is about
	err := conn.TestConnection(nil) //nolint:staticcheck
	assert.ErrorContains(t, err, "nil Context")
}

func TestTokenURLMustBeTheAccounts(t *testing.T) {
	key, _ := loadFreshKey(t, "ec-p256-sec1.key.pem")
	for _, u := range []string{"https://evil.example/services/rest/auth/oauth2/v1/token", "https://7654321.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"} {
		_, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567", Auth: netsuite.ClientCredentials{
			ClientID: "c", CertificateID: "k", Key: key, TokenURL: u}})
		assert.ErrorContains(t, err, "not the account's", u)
		_, err = netsuite.NewConnection(netsuite.Config{AccountID: "1234567", Auth: netsuite.AuthorizationCode{
			ClientID: "c", ClientSecret: "s", TokenURL: u}})
		assert.ErrorContains(t, err, "not the account's", u)
	}
	_, err := netsuite.NewConnection(netsuite.Config{AccountID: "1234567", Auth: netsuite.ClientCredentials{
		ClientID: "c", CertificateID: "k", Key: key, TokenURL: "https://1234567.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"}})
	assert.NoError(t, err)
}
