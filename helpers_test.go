package netsuite_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

// tbaVector is one entry of testdata/tba_vectors.json (a verbatim copy of
// the shared known-answer vectors, computed by Oracle and by oauthlib).
type tbaVector struct {
	Name           string `json:"name"`
	Method         string `json:"method"`
	URL            string `json:"url"`
	Realm          string `json:"realm"`
	ConsumerKey    string `json:"consumer_key"`
	ConsumerSecret string `json:"consumer_secret"`
	TokenID        string `json:"token_id"`
	TokenSecret    string `json:"token_secret"`
	Nonce          string `json:"nonce"`
	Timestamp      int64  `json:"timestamp"`
	Signature      string `json:"signature"`
	Source         string `json:"source"`
}

func loadTBAVectors(t testing.TB) []tbaVector {
	data, err := os.ReadFile("testdata/tba_vectors.json")
	require.NoError(t, err)
	var vs []tbaVector
	require.NoError(t, json.Unmarshal(data, &vs))
	require.NotEmpty(t, vs)
	return vs
}

// recorder is a base transport that records requests and answers 200.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var b []byte
	if req.Body != nil {
		b, _ = io.ReadAll(req.Body)
		req.Body.Close()
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.body = append(r.body, string(b))
	r.mu.Unlock()
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{}`)), Request: req}, nil
}

func (r *recorder) last(t *testing.T) *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.reqs)
	return r.reqs[len(r.reqs)-1]
}

// trackedBody counts Close calls and reads.
type trackedBody struct {
	r      io.Reader
	closes atomic.Int32
	reads  atomic.Int32
}

func newTrackedBody(s string) *trackedBody { return &trackedBody{r: bytes.NewReader([]byte(s))} }

func (b *trackedBody) Read(p []byte) (int, error) { b.reads.Add(1); return b.r.Read(p) }
func (b *trackedBody) Close() error               { b.closes.Add(1); return nil }

// newTBAConnection returns a Connection to a fresh netsuitetest server,
// with the retry policy given (default: DefaultRetryPolicy).
func newTBAConnection(t *testing.T, retry ...*netsuite.RetryPolicy) (*netsuite.Connection, *netsuitetest.Server) {
	t.Helper()
	srv := netsuitetest.NewServer()
	t.Cleanup(srv.Close)
	cfg := srv.Config()
	cfg.Auth = srv.TBA()
	if len(retry) > 0 {
		cfg.Retry = retry[0]
	}
	conn, err := netsuite.NewConnection(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn, srv
}

var bg = context.Background()

func netsuiteRedirect(code int, to string) netsuitetest.Fault {
	return netsuitetest.Fault{Status: code, Body: " ", Header: http.Header{"Location": {to}}}
}

// freshCert makes a certificate for key valid from an hour ago for a year,
// so that tests do not depend on the fixture certificates' dates.
func freshCert(t testing.TB, key crypto.Signer) *x509.Certificate {
	t.Helper()
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}

// loadFreshKey reads a fixture key (testdata/keys) and makes a current
// certificate for it.
func loadFreshKey(t testing.TB, key string) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	k, err := os.ReadFile("testdata/keys/" + key)
	require.NoError(t, err)
	signer, _, err := netsuite.LoadPEM(k, "")
	require.NoError(t, err)
	return signer, freshCert(t, signer)
}
