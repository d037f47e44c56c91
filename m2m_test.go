package netsuite_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

// handlerTransport delivers requests to a handler in memory, so that a
// whole Connection + netsuitetest exchange runs inside a synctest bubble.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.Host = req.URL.Host
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, in)
	if req.Body != nil {
		req.Body.Close()
	}
	if err := req.Context().Err(); err != nil { // as a real transport would
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

func TestClientCredentialsAgainstNetsuitetest(t *testing.T) {
	// Each algorithm's assertion must pass the fake's own JWS verifier,
	// which is written independently of golang-jwt.
	tests := []struct{ alg, key string }{
		{"PS256", "rsa3072.key.pem"},
		{"PS384", "rsa3072.key.pem"},
		{"PS512", "rsa4096-pkcs1.key.pem"},
		{"ES256", "ec-p256-sec1.key.pem"},
		{"ES384", "ec-p384-sec1.key.pem"},
		{"ES512", "ec-p521-pkcs8.key.pem"},
		{"PS256", "rsa-pss-oracle.key.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.alg+"/"+tt.key, func(t *testing.T) {
			key, cert := loadFreshKey(t, tt.key)
			srv := netsuitetest.NewServer()
			defer srv.Close()
			srv.AddM2M(netsuitetest.M2MClient{ClientID: "client-1", CertificateID: "cert-" + tt.alg, Certificate: cert})
			cfg := srv.Config()
			cfg.Auth = netsuite.ClientCredentials{ClientID: "client-1", CertificateID: "cert-" + tt.alg, Key: key, Algorithm: tt.alg}
			conn, err := netsuite.NewConnection(cfg)
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.TestConnection(bg), "%v", srv.Requests())
			assert.Equal(t, 1, srv.TokenRequests())
		})
	}
}

func TestClientCredentialsEndToEnd(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.Auth = srv.ClientCredentials()
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	defer conn.Close()

	require.NoError(t, conn.TestConnection(bg))
	resp, err := conn.Client().Get(conn.BaseURL() + "/services/rest/record/v1/customer/107")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 1, srv.TokenRequests(), "one token for both requests")
	reqs := srv.Requests()
	assert.Equal(t, "bearer", reqs[len(reqs)-1].Auth)
	assert.Equal(t, "Bearer ", reqs[len(reqs)-1].Header.Get("Authorization")[:7], "capital B")

	// NetSuite revokes the token: the next request gets one fresh token.
	srv.RevokeAccessToken(reqs[len(reqs)-1].Token)
	require.NoError(t, conn.TestConnection(bg))
	assert.Equal(t, 2, srv.TokenRequests())
}

func TestClientCredentialsWrongCertificateID(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cc := srv.ClientCredentials()
	cc.CertificateID = "not-the-certificate-id"
	cfg.Auth = cc
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	defer conn.Close()
	err = conn.TestConnection(bg)
	var te *netsuite.TokenError
	require.True(t, errors.As(err, &te), "%v", err)
	assert.True(t, netsuite.IsAuthFailure(err))
	assert.Contains(t, err.Error(), "certificate ID")
	assert.Contains(t, err.Error(), "View Login Audit Trail")
}

// TestClientCredentialsExpiryUnderLoad: 200 goroutines send through one
// Connection for two and a half token lifetimes. Every request succeeds,
// each token is fetched exactly once (early refresh: nobody waits on the
// token endpoint), and no goroutine outlives Close (synctest checks).
func TestClientCredentialsExpiryUnderLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := netsuitetest.NewHandler()
		cfg := srv.Config()
		cfg.BaseURL = "http://127.0.0.1:9" // never dialled: handlerTransport
		cfg.Transport = handlerTransport{srv}
		cfg.Auth = srv.ClientCredentials()
		conn, err := netsuite.NewConnection(cfg)
		require.NoError(t, err)

		const workers = 200
		end := time.Now().Add(150 * time.Minute)
		var mu sync.Mutex
		var failures []string
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for time.Now().Before(end) {
					req, _ := http.NewRequestWithContext(context.Background(), "GET", cfg.BaseURL+"/services/rest/record/v1/customer/107", nil)
					resp, err := conn.RoundTrip(req)
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							err = errors.New(resp.Status)
						}
					}
					if err != nil {
						mu.Lock()
						failures = append(failures, err.Error())
						mu.Unlock()
					}
					time.Sleep(time.Minute)
				}
			})
		}
		wg.Wait()
		require.NoError(t, conn.Close())
		assert.Empty(t, failures)
		// Tokens live 60 minutes and are refreshed 5 minutes early: fetched
		// at 0, 55 and 110 minutes.
		assert.Equal(t, 3, srv.TokenRequests())
		seen := map[string]bool{}
		for _, r := range srv.Requests() {
			if r.Auth == "bearer" {
				seen[r.Token] = true
			}
		}
		assert.Len(t, seen, 3)
	})
}
