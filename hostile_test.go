package netsuite_test

// Hostile input (issue 7, item 3). Promises and the tests that prove them:
//
//  1. Nothing an endpoint, a proxy or a user can send makes the library
//     panic; each parser returns a typed error. Fuzz targets, seeded with
//     the real body shapes in testdata/bodies (see its README):
//     - NetSuite error bodies, with any status, reason phrase and
//       WWW-Authenticate header: CheckResponse returns an *Error for every
//       non-2xx answer, with the status, a valid-UTF-8 excerpt of at most
//       200 characters, and the classification helpers agreeing with the
//       status: FuzzCheckResponse.
//     - Token endpoint answers, through a Connection (client credentials,
//       and authorization-code refresh): a bearer token or a *TokenError,
//       never a panic; the error never shows the assertion, refresh token
//       or client secret sent, even when the answer echoes the request:
//       FuzzTokenResponse.
//     - The OAuth callback query: ParseCallback checks the state first and
//       returns ErrStateMismatch, an *AuthorizationError or a callback with a
//       code; Callback never prints the code: FuzzParseCallback.
//     - Key files through the public loaders (LoadPEM, LoadPKCS12, as
//       LoadKeyFile picks them): FuzzLoadKey.
//     - Elsewhere: account parsing (FuzzParseAccount, account_test.go),
//       percent-encoding and the base string (FuzzEscape, FuzzBaseString,
//       internal/oauth1), WWW-Authenticate (FuzzParse, internal/authheader),
//       PEM and PKCS#12 internals (FuzzLoadPEM, FuzzLoadPKCS12,
//       internal/keys), JWS verification in the fake (FuzzVerifyJWS,
//       netsuitetest).
//  2. Every body the library reads is read with a cap: a never-ending (or
//     1 GiB) body makes the call return, reads no more than the cap, and
//     allocates little (runtime.MemStats.TotalAlloc), for REST error bodies
//     (CheckResponse, TestConnection), the metadata catalog, token and
//     revoke responses, the 401 drain before a retry, the 400/429 peek for
//     NetSuite's concurrency codes, RESTlet answers (not read at all on
//     success), a form body read for TBA signing, and a token file:
//     TestBodyCaps.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/suitekit/netsuite"
)

// bodyFiles returns the files of testdata/bodies with the status their
// name carries (rest-401-… is 401).
func bodyFiles(t testing.TB) map[string]int {
	t.Helper()
	names, err := filepath.Glob("testdata/bodies/*-*-*")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	out := map[string]int{}
	for _, name := range names {
		parts := strings.SplitN(filepath.Base(name), "-", 3)
		status, err := strconv.Atoi(parts[1])
		require.NoError(t, err, name)
		out[name] = status
	}
	return out
}

func wwwAuthenticateSeeds(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/bodies/www-authenticate.txt")
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// closeTracker is a body that records whether it was closed.
type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func FuzzCheckResponse(f *testing.F) {
	challenges := wwwAuthenticateSeeds(f)
	for name, status := range bodyFiles(f) {
		body, err := os.ReadFile(name)
		require.NoError(f, err)
		reason := strconv.Itoa(status) + " " + http.StatusText(status)
		f.Add(uint16(status), reason, body, "", "GET")
		if status == 401 {
			for _, c := range challenges {
				f.Add(uint16(status), reason, body, c, "POST")
			}
		}
	}
	f.Add(uint16(500), "", []byte{}, "", "")
	f.Add(uint16(401), "401", []byte("\xff\xfe<html>"+strings.Repeat("é", 300)), `Bearer error="`, "PATCH")
	f.Fuzz(func(t *testing.T, status uint16, reason string, body []byte, challenge, method string) {
		code := 100 + int(status)%900
		tracked := &closeTracker{Reader: bytes.NewReader(body)}
		resp := &http.Response{StatusCode: code, Status: reason, Header: http.Header{}, Body: tracked,
			Request: &http.Request{Method: method, URL: &url.URL{Path: "/services/rest/record/v1/metadata-catalog"}}}
		if challenge != "" {
			resp.Header.Set("WWW-Authenticate", challenge)
		}
		err := netsuite.CheckResponse(resp)
		if code >= 200 && code <= 299 {
			if err != nil || tracked.closed {
				t.Fatalf("2xx: err %v, body closed %v", err, tracked.closed)
			}
			return
		}
		var e *netsuite.Error
		if !errors.As(err, &e) {
			t.Fatalf("%d: %T %v, want *netsuite.Error", code, err, err)
		}
		if !tracked.closed {
			t.Fatal("the body was not closed")
		}
		if e.StatusCode != code || !strings.HasPrefix(e.Status, strconv.Itoa(code)) {
			t.Fatalf("status %d / %q for %d", e.StatusCode, e.Status, code)
		}
		msg := e.Error()
		if !strings.HasPrefix(msg, "netsuite: ") {
			t.Fatalf("message %q", msg)
		}
		if !utf8.ValidString(e.Excerpt) || utf8.RuneCountInString(e.Excerpt) > 203 || strings.ContainsAny(e.Excerpt, "\n\r\t") {
			t.Fatalf("excerpt %q", e.Excerpt)
		}
		if netsuite.IsAuthFailure(err) != (code == 401) || netsuite.IsPermission(err) != (code == 403) {
			t.Fatalf("classification of %d: auth %v, permission %v", code, netsuite.IsAuthFailure(err), netsuite.IsPermission(err))
		}
		if code == 429 && !netsuite.IsRateLimited(err) {
			t.Fatal("429 is not IsRateLimited")
		}
	})
}

// fuzzKey is an EC key for the fuzz targets (an RSA key would slow them).
var fuzzKey = sync.OnceValue(func() crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

// scriptedTokenEndpoint answers every request with status and body, after
// replacing {{BODY}} and {{AUTH}} in body with the request's form body and
// Authorization header (an endpoint or proxy that echoes the request). It
// records what was sent.
type scriptedTokenEndpoint struct {
	status int
	body   []byte

	mu   sync.Mutex
	sent [][]byte // form bodies and Authorization headers
}

func (s *scriptedTokenEndpoint) RoundTrip(req *http.Request) (*http.Response, error) {
	var form []byte
	if req.Body != nil {
		form, _ = io.ReadAll(req.Body)
		req.Body.Close()
	}
	auth := req.Header.Get("Authorization")
	s.mu.Lock()
	s.sent = append(s.sent, form, []byte(auth))
	s.mu.Unlock()
	body := bytes.ReplaceAll(s.body, []byte("{{BODY}}"), form)
	body = bytes.ReplaceAll(body, []byte("{{AUTH}}"), []byte(auth))
	h := http.Header{"Content-Type": {"application/json"}, "Location": {"https://elsewhere.example/?" + string(body)}}
	return &http.Response{StatusCode: s.status, Status: fmt.Sprintf("%d %s", s.status, http.StatusText(s.status)),
		Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

// sentSecrets returns what the client sent that must never be shown.
func (s *scriptedTokenEndpoint) sentSecrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, b := range s.sent {
		if form, err := url.ParseQuery(string(b)); err == nil {
			for _, name := range []string{"client_assertion", "refresh_token"} {
				for _, v := range form[name] {
					out = append(out, v, url.QueryEscape(v))
				}
			}
		}
		if v, ok := strings.CutPrefix(string(b), "Basic "); ok {
			out = append(out, v)
		}
	}
	return out
}

const fuzzClientSecret = "fuzz-client-secret-0123456789"

func FuzzTokenResponse(f *testing.F) {
	for name, status := range bodyFiles(f) {
		body, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(uint16(status), body, false)
		f.Add(uint16(status), body, true)
	}
	for _, echo := range []string{
		`<html><pre>{{BODY}} {{AUTH}}</pre></html>`,
		`{"error":"invalid_request","error_description":"{{BODY}}"}`,
		`{"error":"{{BODY}}"}`,
		`{"access_token":"a","token_type":"bearer","expires_in":"{{BODY}}"}`,
		`{"access_token":"a","token_type":"{{AUTH}}"}`,
		`{"access_token":{{BODY}}}`,
	} {
		for _, status := range []uint16{200, 302, 400, 401, 500} {
			f.Add(status, []byte(echo), false)
			f.Add(status, []byte(echo), true)
		}
	}
	f.Add(uint16(200), []byte(`{"access_token":"a","expires_in":1e999}`), false)
	f.Add(uint16(200), []byte(`{"access_token":"a","expires_in":-1}`), true)
	f.Add(uint16(200), []byte(`{"access_token":"","token_type":"bearer"}`), false)
	f.Add(uint16(200), []byte(`null`), false)
	f.Fuzz(func(t *testing.T, status uint16, body []byte, refresh bool) {
		code := 100 + int(status)%500
		ep := &scriptedTokenEndpoint{status: code, body: body}
		cfg := netsuite.Config{AccountID: "1234567_SB1", Transport: ep, Logger: slog.New(slog.DiscardHandler)}
		if refresh {
			cfg.Auth = netsuite.AuthorizationCode{ClientID: "fuzz-client", ClientSecret: fuzzClientSecret,
				Token: &oauth2.Token{RefreshToken: "fuzz-refresh-token-0123456789"}}
		} else {
			cfg.Auth = netsuite.ClientCredentials{ClientID: "fuzz-client", CertificateID: "fuzz-cert", Key: fuzzKey()}
		}
		conn, err := netsuite.NewConnection(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		type answer struct {
			tok *oauth2.Token
			err error
		}
		ch := make(chan answer, 1)
		go func() { tok, err := conn.TokenSource().Token(); ch <- answer{tok, err} }()
		var a answer
		select {
		case a = <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("no answer after 10 s")
		}
		tok, err := a.tok, a.err
		if err == nil {
			if code < 200 || code > 299 || tok.AccessToken == "" || tok.TokenType != "Bearer" {
				t.Fatalf("%d answer gave token %+v", code, tok)
			}
			return
		}
		var te *netsuite.TokenError
		if !errors.As(err, &te) {
			t.Fatalf("%T %v, want *netsuite.TokenError", err, err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "netsuite: ") {
			t.Fatalf("message %q", msg)
		}
		for _, secret := range append(ep.sentSecrets(), fuzzClientSecret) {
			if len(secret) >= 8 && strings.Contains(msg, secret) && !bytes.Contains(body, []byte(secret)) {
				t.Fatalf("the error shows what was sent (%.20s…): %s", secret, msg)
			}
		}
	})
}

func FuzzParseCallback(f *testing.F) {
	const state = "state-0123456789abcdefghijklmnop"
	for _, q := range []string{
		"code=c0de-0123456789&state=" + state + "&company=1234567_SB1&role=3&entity=-5",
		"error=access_denied&error_description=The+user+denied+access&state=" + state,
		"error=invalid_scope&state=" + state,
		"code=c0de-0123456789&state=forged",
		"code=c0de-0123456789",
		"state=" + state,
		"state=" + state + "&state=other&code=a&code=b",
		"code=%zz&state=" + state,
		"",
	} {
		f.Add(q, state)
	}
	f.Add("code=x&state=", "")
	f.Fuzz(func(t *testing.T, raw, state string) {
		q, _ := url.ParseQuery(raw)
		cb, err := netsuite.ParseCallback(q, state)
		if err == nil {
			if state == "" || q.Get("state") != state || q.Get("error") != "" || cb.Code == "" || cb.Code != q.Get("code") {
				t.Fatalf("accepted %q with state %q: %+v", raw, state, *cb)
			}
			want := fmt.Sprintf("netsuite.Callback{Code:[redacted] Company:%s Role:%s Entity:%s}", cb.Company, cb.Role, cb.Entity)
			if got := fmt.Sprintf("%+v", cb); got != want {
				t.Fatalf("Callback prints %q", got)
			}
			return
		}
		if cb != nil {
			t.Fatal("a callback with an error")
		}
		var ae *netsuite.AuthorizationError
		switch {
		case state == "":
			if !strings.Contains(err.Error(), "needs the state") {
				t.Fatalf("no state: %v", err)
			}
		case q.Get("state") != state || len(q["state"]) > 1 || len(q["code"]) > 1:
			if !errors.Is(err, netsuite.ErrStateMismatch) {
				t.Fatalf("state %q is not %q, but: %v", q.Get("state"), state, err)
			}
		case q.Get("error") != "":
			if !errors.As(err, &ae) || ae.Code != q.Get("error") || !errors.Is(err, netsuite.ErrAccessDenied) {
				t.Fatalf("error=%q: %v", q.Get("error"), err)
			}
		default:
			if !strings.Contains(err.Error(), "neither a code nor an error") {
				t.Fatalf("%q: %v", raw, err)
			}
		}
		if code := q.Get("code"); len(code) >= 8 && strings.Contains(err.Error(), code) &&
			!strings.Contains(q.Get("error")+q.Get("error_description"), code) {
			t.Fatalf("the error shows the code: %v", err)
		}
	})
}

func FuzzLoadKey(f *testing.F) {
	names, err := filepath.Glob("testdata/keys/*")
	require.NoError(f, err)
	for _, name := range names {
		if !strings.HasSuffix(name, ".pem") && !strings.HasSuffix(name, ".pfx") {
			continue
		}
		data, err := os.ReadFile(name)
		require.NoError(f, err)
		for _, pw := range []string{"", "test-password", "pässwörd-日本"} {
			f.Add(data, pw)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		load := netsuite.LoadPKCS12
		if bytes.Contains(data, []byte("-----BEGIN ")) {
			load = netsuite.LoadPEM
		}
		key, cert, err := load(data, password)
		if err != nil {
			if key != nil || cert != nil {
				t.Fatal("results with an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "netsuite: ") {
				t.Fatalf("message %q", msg)
			}
			if len(password) >= 12 && !bytes.Contains(data, []byte(password)) && strings.Contains(msg, password) {
				t.Fatalf("the error shows the password: %q", msg)
			}
			return
		}
		if key == nil || key.Public() == nil {
			t.Fatal("no key, no error")
		}
		if cert != nil {
			if !publicKeyEqual(key.Public(), cert.PublicKey) {
				t.Fatal("the certificate is not the key's")
			}
		}
	})
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// endlessBody is a response body that never ends: prefix, then filler
// forever. It counts the bytes read.
type endlessBody struct {
	prefix []byte
	filler byte
	limit  int64 // 0: never ends; else ends (EOF) after limit bytes
	read   atomic.Int64
	closed atomic.Bool
}

// errUncapped ends a body that was read far past every cap, so that an
// uncapped reader fails the test instead of exhausting memory.
var errUncapped = errors.New("endlessBody: read past 64 MiB: this reader has no cap")

func (b *endlessBody) Read(p []byte) (int, error) {
	off := b.read.Load()
	if off >= 64<<20 {
		return 0, errUncapped
	}
	if b.limit > 0 && off >= b.limit {
		return 0, io.EOF
	}
	if b.limit > 0 && int64(len(p)) > b.limit-off {
		p = p[:b.limit-off]
	}
	for i := range p {
		if j := off + int64(i); j < int64(len(b.prefix)) {
			p[i] = b.prefix[j]
		} else {
			p[i] = b.filler
		}
	}
	b.read.Add(int64(len(p)))
	return len(p), nil
}

func (b *endlessBody) Close() error { b.closed.Store(true); return nil }

// capResult is what one body-reading path did with an endless body.
type capResult struct {
	read  int64  // bytes read from the body
	alloc uint64 // bytes allocated while the call ran
}

// measure runs call, which must return within 20 s, and reports the bytes
// read from body and the bytes allocated meanwhile.
func measure(t *testing.T, body *endlessBody, call func()) capResult {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	go func() { defer close(done); call() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the call did not return; %d bytes read so far", body.read.Load())
	}
	runtime.ReadMemStats(&after)
	return capResult{read: body.read.Load(), alloc: after.TotalAlloc - before.TotalAlloc}
}

// bodyTransport answers requests for the token and revoke endpoints and
// for everything else with the responses its functions make.
type bodyTransport struct {
	token func(*http.Request) *http.Response
	api   func(*http.Request) *http.Response
}

func (bt bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20))
		req.Body.Close()
	}
	var resp *http.Response
	if strings.HasPrefix(req.URL.Path, "/services/rest/auth/oauth2/") {
		resp = bt.token(req)
	} else {
		resp = bt.api(req)
	}
	resp.Request = req
	return resp, nil
}

func respond(status int, body io.ReadCloser) *http.Response {
	return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header: http.Header{"Content-Type": {"application/json"}}, Body: body, ContentLength: -1}
}

func okToken(*http.Request) *http.Response {
	return respond(200, io.NopCloser(strings.NewReader(`{"access_token":"tok-0123456789","token_type":"bearer","expires_in":"3600"}`)))
}

func TestBodyCaps(t *testing.T) {
	const MiB = 1 << 20
	key := fuzzKey()
	cc := netsuite.ClientCredentials{ClientID: "client", CertificateID: "cert", Key: key}
	refresh := netsuite.AuthorizationCode{ClientID: "client", ClientSecret: "client-secret-0123",
		Token: &oauth2.Token{RefreshToken: "refresh-token-0123456789"}}
	connect := func(t *testing.T, auth netsuite.Authenticator, bt bodyTransport) *netsuite.Connection {
		return mustConnect(t, netsuite.Config{AccountID: "1234567_SB1", Auth: auth, Transport: bt,
			Logger: slog.New(slog.DiscardHandler)})
	}
	endless := func(prefix string) *endlessBody { return &endlessBody{prefix: []byte(prefix), filler: 'x'} }
	fixed := func(b *endlessBody) func(*http.Request) *http.Response {
		return func(*http.Request) *http.Response { return respond(200, b) }
	}

	cases := []struct {
		name     string
		body     *endlessBody
		maxRead  int64 // bytes the path may read
		maxAlloc uint64
		run      func(t *testing.T, body *endlessBody)
	}{
		{"CheckResponse, never-ending HTML error page", endless("<html>"), 64 << 10, 16 * MiB, func(t *testing.T, b *endlessBody) {
			resp := respond(502, b)
			resp.Request = &http.Request{Method: "GET", URL: &url.URL{Path: "/x"}}
			var e *netsuite.Error
			require.ErrorAs(t, netsuite.CheckResponse(resp), &e)
			assert.True(t, b.closed.Load())
		}},
		{"CheckResponse, 1 GiB JSON error with Content-Length", &endlessBody{prefix: []byte(`{"title":"`), filler: 'x', limit: 1 << 30},
			64 << 10, 16 * MiB, func(t *testing.T, b *endlessBody) {
				resp := respond(400, b)
				resp.ContentLength = 1 << 30
				require.Error(t, netsuite.CheckResponse(resp))
			}},
		{"TestConnection, never-ending 500", endless(`{"o:errorDetails":[{"detail":"`), 64 << 10, 16 * MiB, func(t *testing.T, b *endlessBody) {
			conn := connect(t, netsuite.TBA{ConsumerKey: "ck", ConsumerSecret: "cs", TokenID: "tk", TokenSecret: "ts"},
				bodyTransport{api: func(*http.Request) *http.Response { return respond(500, b) }})
			var e *netsuite.Error
			require.ErrorAs(t, conn.TestConnection(bg), &e)
			assert.Equal(t, 500, e.StatusCode)
		}},
		{"TestConnection, never-ending 200 that is not the catalog", endless(`{"links":"`), 4 * MiB, 48 * MiB, func(t *testing.T, b *endlessBody) {
			conn := connect(t, cc, bodyTransport{token: okToken, api: fixed(b)})
			assert.ErrorContains(t, conn.TestConnection(bg), "not with the metadata catalog")
		}},
		{"TestConnection, never-ending white space after items", endless(`{"items"`), 4 * MiB, 48 * MiB, func(t *testing.T, b *endlessBody) {
			b.filler = ' '
			conn := connect(t, cc, bodyTransport{token: okToken, api: fixed(b)})
			assert.Error(t, conn.TestConnection(bg))
		}},
		{"TestConnection, a catalog that never ends", endless(`{"items":[{"name":"account"},`), 64 << 10, 16 * MiB, func(t *testing.T, b *endlessBody) {
			conn := connect(t, cc, bodyTransport{token: okToken, api: fixed(b)})
			assert.NoError(t, conn.TestConnection(bg), "the catalog is recognised from its start")
		}},
		{"client credentials token, never-ending 200", endless(`{"access_token":"`), 64 << 10, 16 * MiB, func(t *testing.T, b *endlessBody) {
			conn := connect(t, cc, bodyTransport{token: fixed(b)})
			_, err := conn.TokenSource().Token()
			var te *netsuite.TokenError
			require.ErrorAs(t, err, &te)
		}},
		{"refresh token, never-ending 400", endless(`{"error":"`), 64 << 10, 16 * MiB, func(t *testing.T, b *endlessBody) {
			conn := connect(t, refresh, bodyTransport{token: func(*http.Request) *http.Response { return respond(400, b) }})
			var te *netsuite.TokenError
			require.ErrorAs(t, conn.TestConnection(bg), &te)
		}},
		{"revoke, never-ending 503", endless("<html>"), 64 << 10, 16 * MiB, func(t *testing.T, b *endlessBody) {
			conn := connect(t, refresh, bodyTransport{token: func(*http.Request) *http.Response { return respond(503, b) }})
			var te *netsuite.TokenError
			require.ErrorAs(t, conn.Revoke(bg), &te)
		}},
		{"401 before a retry with a fresh token, never-ending", endless(`{"o:errorDetails":[`), 2 * (64 << 10), 16 * MiB, func(t *testing.T, b *endlessBody) {
			conn := connect(t, cc, bodyTransport{token: okToken, api: func(*http.Request) *http.Response { return respond(401, b) }})
			var e *netsuite.Error
			require.ErrorAs(t, conn.TestConnection(bg), &e)
			assert.Equal(t, 401, e.StatusCode)
		}},
		{"RESTlet 200, never-ending: not read by the library", endless(`{"result":"`), 0, 4 * MiB, func(t *testing.T, b *endlessBody) {
			conn := connect(t, cc, bodyTransport{token: okToken, api: fixed(b)})
			_, err := conn.TokenSource().Token() // the token first, outside the measurement of the request
			require.NoError(t, err)
			resp, err := conn.Client().Get(conn.Account().RESTletsURL() + "/app/site/hosting/restlet.nl?script=1&deploy=1")
			require.NoError(t, err)
			resp.Body.Close()
		}},
		{"RESTlet 400, never-ending: concurrency-code peek, then CheckResponse", endless(`{"error":{"code":"`), 4<<10 + 64<<10, 16 * MiB, func(t *testing.T, b *endlessBody) {
			conn := connect(t, cc, bodyTransport{token: okToken, api: func(*http.Request) *http.Response { return respond(400, b) }})
			resp, err := conn.Client().Post(conn.Account().RESTletsURL()+"/app/site/hosting/restlet.nl?script=1&deploy=1",
				"application/json", strings.NewReader(`{}`))
			require.NoError(t, err)
			require.Error(t, netsuite.CheckResponse(resp))
		}},
		{"429, never-ending, retried until the deadline", endless(`{"o:errorDetails":[`), 64 * (8 << 10), 16 * MiB, func(t *testing.T, b *endlessBody) {
			conn := connect(t, cc, bodyTransport{token: okToken, api: func(*http.Request) *http.Response {
				r := respond(429, b)
				r.Header.Set("Retry-After", "0")
				return r
			}})
			ctx, cancel := context.WithTimeout(bg, time.Second)
			defer cancel()
			assert.Error(t, conn.TestConnection(ctx))
		}},
		{"form body read for TBA signing, never-ending", endless("a="), 8*MiB + 1, 64 * MiB, func(t *testing.T, b *endlessBody) {
			var sent atomic.Bool
			conn := connect(t, netsuite.TBA{ConsumerKey: "ck", ConsumerSecret: "cs", TokenID: "tk", TokenSecret: "ts"},
				bodyTransport{api: func(*http.Request) *http.Response { sent.Store(true); return respond(200, http.NoBody) }})
			req, err := http.NewRequest("POST", conn.BaseURL()+"/services/rest/record/v1/customer", nil)
			require.NoError(t, err)
			req.Body = b // no GetBody: the signer must read it, up to its cap
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			_, err = conn.RoundTrip(req)
			assert.ErrorContains(t, err, "form body larger than")
			assert.False(t, sent.Load(), "nothing is sent")
			assert.True(t, b.closed.Load(), "the body is closed")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := measure(t, tc.body, func() { tc.run(t, tc.body) })
			t.Logf("read %d bytes, allocated %.1f MiB", res.read, float64(res.alloc)/MiB)
			assert.LessOrEqual(t, res.read, tc.maxRead, "bytes read from the body")
			assert.Less(t, res.alloc, tc.maxAlloc, "bytes allocated during the call")
		})
	}

	t.Run("token file of 1 GiB (sparse)", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tokens.json")
		f, err := os.Create(path)
		require.NoError(t, err)
		require.NoError(t, f.Truncate(1<<30))
		require.NoError(t, f.Close())
		require.NoError(t, os.Chmod(path, 0o600))
		var res capResult
		res = measure(t, &endlessBody{}, func() {
			_, err = netsuite.NewFileStore(path).Load(bg)
		})
		assert.ErrorContains(t, err, "over the 1048576-byte limit")
		assert.Less(t, res.alloc, uint64(16*MiB))
	})
}
