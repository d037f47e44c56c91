package netsuite_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

func TestTestConnectionSuccess(t *testing.T) {
	conn, srv := newTBAConnection(t)
	require.NoError(t, conn.TestConnection(bg))
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "GET", reqs[0].Method)
	assert.Equal(t, "/services/rest/record/v1/metadata-catalog", reqs[0].Path)
	assert.Equal(t, "application/json", reqs[0].Header.Get("Accept"))
	assert.Equal(t, "tba", reqs[0].Auth)
}

func TestTestConnectionFailures(t *testing.T) {
	tests := []struct {
		name  string
		fault netsuitetest.Fault
		want  []string
		check func(t *testing.T, err error)
	}{
		{"401", netsuitetest.Fault{Status: 401}, []string{"401 Unauthorized", "INVALID_LOGIN", "error=token_rejected",
			"Setup > Users/Roles > User Management > View Login Audit Trail", "not copied into sandboxes"},
			func(t *testing.T, err error) { assert.True(t, netsuite.IsAuthFailure(err)) }},
		{"403", netsuitetest.Fault{Status: 403}, []string{"403 Forbidden", "INSUFFICIENT_PERMISSION", "REST Web Services permission"},
			func(t *testing.T, err error) { assert.True(t, netsuite.IsPermission(err)) }},
		{"429", netsuitetest.Fault{Status: 429}, []string{"429 Too Many Requests", "CONCURRENCY_LIMIT_EXCEEDED", "concurrency limit"},
			func(t *testing.T, err error) { assert.True(t, netsuite.IsRateLimited(err)) }},
		{"html maintenance page", netsuitetest.Fault{Status: 503, Body: "<html><body><h1>NetSuite is undergoing maintenance</h1></body></html>",
			Header: http.Header{"Content-Type": {"text/html"}}},
			[]string{"503 Service Unavailable", "body: <html><body><h1>NetSuite is undergoing maintenance", "retry later"}, nil},
		{"404", netsuitetest.Fault{Status: 404}, []string{"404 Not Found", "metadata catalog was not found"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, srv := newTBAConnection(t, netsuite.NoRetry)
			srv.Inject(tt.fault)
			err := conn.TestConnection(bg)
			require.Error(t, err)
			var e *netsuite.Error
			require.True(t, errors.As(err, &e), "%T: %v", err, err)
			assert.Equal(t, tt.fault.Status, e.StatusCode)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func TestTestConnectionWrongSecret(t *testing.T) {
	srv := netsuitetest.NewServer(netsuitetest.WithAccountID("1234567"))
	defer srv.Close()
	cfg := srv.Config()
	bad := srv.TBA()
	bad.TokenSecret = "not-the-secret"
	cfg.Auth = bad
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	err = conn.TestConnection(bg)
	require.Error(t, err)
	assert.True(t, netsuite.IsAuthFailure(err))
	assert.Contains(t, err.Error(), "View Login Audit Trail")
	assert.NotContains(t, err.Error(), "sandbox", "a production account gets no sandbox hint")
	assert.NotContains(t, err.Error(), "not-the-secret")
	assert.Contains(t, srv.Requests()[0].Reject, "signature mismatch")
}

func TestTestConnectionNotACatalog(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>login page</html>"))
	}))
	defer ts.Close()
	conn, err := netsuite.NewConnection(netsuite.Config{BaseURL: ts.URL, AccountID: "1234567", Auth: testTBA})
	require.NoError(t, err)
	err = conn.TestConnection(bg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not with the metadata catalog")
}

func TestTestConnectionNetworkAndContext(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	conn, err := netsuite.NewConnection(netsuite.Config{BaseURL: "http://" + addr, AccountID: "1234567", Auth: testTBA})
	require.NoError(t, err)
	err = conn.TestConnection(bg)
	require.Error(t, err)
	var opErr *net.OpError
	assert.True(t, errors.As(err, &opErr), "network error must be reachable: %v", err)
	assert.True(t, strings.HasPrefix(err.Error(), "netsuite: test connection"))

	ctx, cancel := context.WithCancel(bg)
	cancel()
	err = conn.TestConnection(ctx)
	assert.ErrorIs(t, err, context.Canceled)

	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	conn, err = netsuite.NewConnection(netsuite.Config{BaseURL: hang.URL, AccountID: "1234567", Auth: testTBA})
	require.NoError(t, err)
	ctx, cancel = context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	err = conn.TestConnection(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}
