package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/suitekit/netsuite"
)

// The request every RoundTrip benchmark sends: one GET with two query
// parameters, and a User-Agent set by the caller.
const (
	benchURL  = "https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1/customer?limit=10&offset=20"
	userAgent = "suitekit-bench/1"
	accountID = "1234567" // also the realm
	tokenPath = "/services/rest/auth/oauth2/v1/token"
)

// TBA credentials: 64 characters each, like NetSuite's.
var (
	consumerKey    = strings.Repeat("c", 64)
	consumerSecret = strings.Repeat("s", 64)
	tokenID        = strings.Repeat("t", 64)
	tokenSecret    = strings.Repeat("u", 64)
)

// accessToken is the 600-character access token every token endpoint here
// hands out (NetSuite's are JWTs of about that size).
var accessToken = strings.Repeat("a", 600)

// tokenJSON is the token endpoint's answer.
var tokenJSON = `{"access_token":"` + accessToken + `","token_type":"bearer","expires_in":3600}`

// newRequest is the benchmark request. Each goroutine that sends makes its
// own: its context carries the empty 200 that the no-op transport answers
// it with (see okResponse).
func newRequest(tb testing.TB) *http.Request {
	ctx := context.WithValue(context.Background(), responseKey{}, newOK())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, benchURL, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("User-Agent", userAgent)
	return req
}

type responseKey struct{}

func newOK() *http.Response {
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: http.NoBody,
	}
}

// okResponse is the empty 200 the no-op transports answer an API request
// with: the one that came with the request's context (made once per sending
// goroutine by newRequest), so that no allocation is charged to the layer
// under test, or a new one. Not one response shared by every goroutine: the
// library sets resp.Request on the response it returns (the caller owns it),
// and goroutines writing one shared response would race. Nothing reads its
// body.
func okResponse(req *http.Request) *http.Response {
	if resp, ok := req.Context().Value(responseKey{}).(*http.Response); ok {
		return resp
	}
	return newOK()
}

// nopTransport is the base transport of the RoundTrip benchmarks: the
// shared empty 200 for every request, and a token for the token path, so
// that only the authentication layer's cost shows.
type nopTransport struct {
	tokenRequests atomic.Int64
}

func (t *nopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == tokenPath {
		t.tokenRequests.Add(1)
		if req.Body != nil {
			io.Copy(io.Discard, req.Body)
			req.Body.Close()
		}
		return tokenResponse(req), nil
	}
	return okResponse(req), nil
}

func tokenResponse(req *http.Request) *http.Response {
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(tokenJSON)),
		ContentLength: int64(len(tokenJSON)),
		Request:       req,
	}
}

// recordTransport keeps the last request it was given, for checking what a
// library sends.
type recordTransport struct {
	mu   sync.Mutex
	last *http.Request
}

func (t *recordTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.last = req
	t.mu.Unlock()
	return okResponse(req), nil
}

func (t *recordTransport) header(name string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		return ""
	}
	return t.last.Header.Get(name)
}

// newTBAConnection is the library's TBA Connection over base.
func newTBAConnection(tb testing.TB, base http.RoundTripper) *netsuite.Connection {
	conn, err := netsuite.NewConnection(netsuite.Config{
		AccountID: accountID,
		Auth:      netsuite.TBA{ConsumerKey: consumerKey, ConsumerSecret: consumerSecret, TokenID: tokenID, TokenSecret: tokenSecret},
		Transport: base,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return conn
}

// newECKey generates the P-256 key of the client-credentials benchmarks.
func newECKey(tb testing.TB) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

// newBearerConnection is the library's client-credentials Connection over
// base, with an EC P-256 key.
func newBearerConnection(tb testing.TB, base http.RoundTripper, key *ecdsa.PrivateKey) *netsuite.Connection {
	conn, err := netsuite.NewConnection(netsuite.Config{
		AccountID: accountID,
		Auth:      netsuite.ClientCredentials{ClientID: "bench-client", CertificateID: "bench-kid", Key: key},
		Transport: base,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return conn
}

// roundTrip sends req and fails unless the answer is 200.
func roundTrip(tb testing.TB, rt http.RoundTripper, req *http.Request) {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("status %d", resp.StatusCode)
	}
}

// runRoundTrips runs the serial and parallel variants of a RoundTrip
// benchmark. rt must be warmed up (a token cached) by the caller.
func runRoundTrips(b *testing.B, rt http.RoundTripper) {
	b.Run("mode=serial", func(b *testing.B) {
		req := newRequest(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rt.RoundTrip(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mode=parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			req := newRequest(b)
			for pb.Next() {
				if _, err := rt.RoundTrip(req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// oauthParams parses an "OAuth k="v", …" Authorization header into its
// (percent-decoded) parameters.
func oauthParams(header string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(header, "OAuth ")
	if !ok {
		return nil, fmt.Errorf("not an OAuth header: %.40q", header)
	}
	params := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
			return nil, fmt.Errorf("malformed OAuth parameter %q", part)
		}
		v, err := url.PathUnescape(value[1 : len(value)-1])
		if err != nil {
			return nil, err
		}
		params[name] = v
	}
	return params, nil
}

// rfc3986 percent-encodes s as RFC 5849 §3.6 wants (only A-Z a-z 0-9 - . _ ~
// stay). Written here, independently of both libraries.
func rfc3986(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// baseString is the RFC 5849 §3.4.1 signature base string of the benchmark
// request (GET benchURL) for a nonce and timestamp: computed here, from the
// RFC, so that it checks both libraries and gives the floor its input.
func baseString(nonce string, timestamp int64) string {
	params := map[string]string{
		"limit": "10", "offset": "20",
		"oauth_consumer_key": consumerKey, "oauth_nonce": nonce, "oauth_signature_method": "HMAC-SHA256",
		"oauth_timestamp": strconv.FormatInt(timestamp, 10), "oauth_token": tokenID, "oauth_version": "1.0",
	}
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names) // all names differ and need no encoding
	pairs := make([]string, len(names))
	for i, n := range names {
		pairs[i] = rfc3986(n) + "=" + rfc3986(params[n])
	}
	u, _ := url.Parse(benchURL)
	return "GET&" + rfc3986("https://"+u.Host+u.EscapedPath()) + "&" + rfc3986(strings.Join(pairs, "&"))
}

// signingKey is enc(consumer secret) & enc(token secret).
func signingKey() []byte {
	return []byte(rfc3986(consumerSecret) + "&" + rfc3986(tokenSecret))
}

// checkTBAHeader verifies an Authorization header against RFC 5849 as
// computed here: HMAC-SHA256, realm 1234567, the benchmark's credentials,
// and a signature over the base string of the request actually sent.
func checkTBAHeader(header string) error {
	p, err := oauthParams(header)
	if err != nil {
		return err
	}
	for name, want := range map[string]string{
		"realm": accountID, "oauth_signature_method": "HMAC-SHA256", "oauth_consumer_key": consumerKey,
		"oauth_token": tokenID, "oauth_version": "1.0",
	} {
		if p[name] != want {
			return fmt.Errorf("%s = %q, want %q (header %s)", name, p[name], want, header)
		}
	}
	ts, err := strconv.ParseInt(p["oauth_timestamp"], 10, 64)
	if err != nil || p["oauth_nonce"] == "" {
		return fmt.Errorf("bad nonce or timestamp in %s", header)
	}
	if d := time.Since(time.Unix(ts, 0)); d < -time.Minute || d > time.Minute {
		return fmt.Errorf("timestamp %d is %s off", ts, d)
	}
	mac := hmac.New(sha256.New, signingKey())
	mac.Write([]byte(baseString(p["oauth_nonce"], ts)))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); p["oauth_signature"] != want {
		return fmt.Errorf("oauth_signature = %q, want %q (header %s)", p["oauth_signature"], want, header)
	}
	return nil
}
