// Package netsuitetest is a fake NetSuite for tests: an httptest-style
// server on loopback that checks what NetSuite checks and answers the way
// NetSuite answers.
//
// It verifies Token-Based Authentication as NetSuite does (signature
// recomputed from the request as received, realm, HMAC-SHA256 only, nonce
// length and reuse, a ±5 minute timestamp window), runs an OAuth 2.0 token
// endpoint for client credentials that checks JWT assertions the way
// NetSuite does (signature against the registered certificate, alg
// allow-list, kid, aud, iss, scope, iat/exp, jti reuse), runs the
// authorization code flow (an authorize endpoint that approves at once,
// code exchange with Basic client authentication and PKCE S256, refresh
// tokens that expire and, for public clients, rotate, and revocation), and
// accepts the bearer tokens it issued until they expire, and answers with
// NetSuite-shaped bodies: the REST metadata catalog, a few records, SuiteQL
// and a RESTlet echo on success; the 401 INVALID_LOGIN body with
// WWW-Authenticate on failure. Its clock is settable and faults can be
// injected. Every request it receives is recorded.
//
//	srv := netsuitetest.NewServer()
//	defer srv.Close()
//	cfg := srv.Config()   // BaseURL and AccountID of the fake
//	cfg.Auth = srv.TBA()  // credentials the fake accepts
//	conn, err := netsuite.NewConnection(cfg)
package netsuitetest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/suitekit/netsuite"
)

// DefaultAccountID is the fake's account: a sandbox, so that realm handling
// (1234567_SB1 vs the host label 1234567-sb1) is always exercised.
const DefaultAccountID = "1234567_SB1"

// Server is a fake NetSuite account. Its methods are safe for concurrent
// use. It is also an http.Handler, for use without a listener.
type Server struct {
	// URL is the base URL of the running server, e.g.
	// http://127.0.0.1:41234, to use as Config.BaseURL.
	URL string

	httpServer *httptest.Server
	account    netsuite.Account

	mu       sync.Mutex
	now      func() time.Time
	tba      []netsuite.TBA // registered consumer + token pairs
	nonces   map[nonceKey]int64
	faults   []Fault
	requests []Request
	oauth    oauth2State // OAuth 2.0 mappings, issued tokens, used jti (oauth2.go)
	gov      governance  // concurrency limit and latency (governance.go)
}

// Option configures a Server.
type Option func(*Server)

// WithAccountID sets the account ID (any spelling netsuite.ParseAccount
// accepts). Default: DefaultAccountID. It panics on an invalid ID, as
// httptest does on setup errors.
func WithAccountID(id string) Option {
	return func(s *Server) {
		a, err := netsuite.ParseAccount(id)
		if err != nil {
			panic(err)
		}
		s.account = a
	}
}

// WithClock sets the server's clock, used for timestamp windows and token
// lifetimes. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// NewServer starts a fake NetSuite on a loopback port. Close it when done.
func NewServer(opts ...Option) *Server {
	s := NewHandler(opts...)
	s.httpServer = httptest.NewServer(s)
	s.URL = s.httpServer.URL
	return s
}

// NewHandler returns a Server that is not listening: use it as an
// http.Handler (for example with httptest.NewRecorder). URL is empty.
func NewHandler(opts ...Option) *Server {
	s := &Server{now: time.Now, nonces: make(map[nonceKey]int64)}
	WithAccountID(DefaultAccountID)(s)
	for _, o := range opts {
		o(s)
	}
	s.tba = append(s.tba, netsuite.TBA{
		ConsumerKey: randomHex(32), ConsumerSecret: randomHex(32),
		TokenID: randomHex(32), TokenSecret: randomHex(32),
	})
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() {
	if s.httpServer != nil {
		s.httpServer.Close()
	}
}

// Account returns the fake's account.
func (s *Server) Account() netsuite.Account { return s.account }

// AccountID returns the fake's canonical account ID (the TBA realm).
func (s *Server) AccountID() string { return s.account.ID() }

// Config returns a netsuite.Config pointing at the server: BaseURL and
// AccountID set, Auth left for the caller.
func (s *Server) Config() netsuite.Config {
	return netsuite.Config{BaseURL: s.URL, AccountID: s.account.ID()}
}

// TBA returns credentials the server accepts (random, made by NewServer).
func (s *Server) TBA() netsuite.TBA {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tba[0]
}

// AddTBA registers another consumer key/secret and token ID/secret pair.
func (s *Server) AddTBA(t netsuite.TBA) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Nonce, t.Now, t.Realm = nil, nil, ""
	s.tba = append(s.tba, t)
}

// RevokeTBA makes the server reject the token with this ID from now on.
func (s *Server) RevokeTBA(tokenID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.tba {
		if s.tba[i].TokenID == tokenID {
			s.tba[i].TokenID = "revoked:" + tokenID
		}
	}
}

// SetClock replaces the server's clock.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Now returns the server's current time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// Fault is a scripted answer. The zero Status means 500.
type Fault struct {
	Status int           // HTTP status to answer
	Body   string        // body; empty means NetSuite's error body for Status
	Header http.Header   // extra response headers
	Delay  time.Duration // wait this long first
	Reset  bool          // close the connection without answering (after Delay)
}

// Inject queues faults: each of the next requests (any path) is answered
// with the next fault, before any authentication, as NetSuite's front end
// or a proxy would.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// FailNext makes the next n requests answer status with body (empty body:
// NetSuite's error body for that status).
func (s *Server) FailNext(n int, status int, body string) {
	for range n {
		s.Inject(Fault{Status: status, Body: body})
	}
}

// Request is the record of one request the server received.
type Request struct {
	Time     time.Time
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte // at most 1 MiB

	Auth      string // "tba", "bearer", or "" when none (always "" at the token, authorize and revoke endpoints)
	Token     string // TBA token ID, bearer access token, the access token issued by the token endpoint, or the token sent to the revoke endpoint
	Nonce     string // TBA oauth_nonce
	Timestamp int64  // TBA oauth_timestamp

	Grant        string // token endpoint: grant_type
	Kid          string // token endpoint: the client assertion's kid
	AssertionJTI string // token endpoint: the client assertion's jti

	Status int    // status answered
	Reject string // why authentication failed (NetSuite does not say; the fake does, here)
}

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

const maxRecordedBody = 1 << 20

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRecordedBody))
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := Request{
		Time: s.Now(), Method: r.Method, Path: requestPath(r), RawQuery: requestQuery(r),
		Header: r.Header.Clone(), Body: body,
	}
	rw := &statusWriter{ResponseWriter: w}
	defer func() { // also when a Reset fault aborts the response
		rec.Status = rw.status
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
	}()
	s.serve(rw, r, &rec)
}

func (s *Server) serve(w *statusWriter, r *http.Request, rec *Request) {
	if f, ok := s.nextFault(); ok {
		if f.Delay > 0 {
			time.Sleep(f.Delay)
		}
		if f.Reset {
			rec.Reject = "injected reset"
			panic(http.ErrAbortHandler) // the connection is closed without an answer
		}
		s.writeFault(w, f)
		return
	}
	switch requestPath(r) {
	case TokenPath:
		s.serveToken(w, r, rec)
		return
	case AuthorizePath:
		s.serveAuthorize(w, r, rec)
		return
	case RevokePath:
		s.serveRevoke(w, r, rec)
		return
	}
	done, refusal := s.enter()
	defer done()
	switch refusal {
	case http.StatusTooManyRequests:
		rec.Reject = "over the account's concurrency limit"
		writeError(w, http.StatusTooManyRequests, faultCode(http.StatusTooManyRequests), faultDetail(http.StatusTooManyRequests))
		return
	case http.StatusUnauthorized:
		rec.Reject = "over the account's concurrency limit (answered as a burst 401)"
		s.writeUnauthorized(w, "")
		return
	}
	if reason := s.authenticate(r, rec); reason != "" {
		rec.Reject = reason
		s.writeUnauthorized(w, rec.Auth)
		return
	}
	s.route(w, r)
}

func (s *Server) nextFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

func (s *Server) writeFault(w http.ResponseWriter, f Fault) {
	if f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if f.Body != "" {
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(f.Status)
		io.WriteString(w, f.Body)
		return
	}
	if f.Status == http.StatusUnauthorized {
		s.writeUnauthorized(w, "")
		return
	}
	writeError(w, f.Status, faultCode(f.Status), faultDetail(f.Status))
}

// authenticate checks the request's credentials and returns why they were
// refused, or "" when they are good.
func (s *Server) authenticate(r *http.Request, rec *Request) string {
	h := r.Header.Get("Authorization")
	scheme, _, _ := strings.Cut(h, " ")
	switch {
	case h == "":
		return "no Authorization header"
	case strings.EqualFold(scheme, "OAuth"):
		rec.Auth = "tba"
		return s.verifyTBA(r, h, rec)
	case strings.EqualFold(scheme, "Bearer"):
		rec.Auth = "bearer"
		return s.verifyBearer(r, h, rec)
	}
	return "unsupported Authorization scheme " + scheme
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// requestPath returns the path exactly as the client sent it (escaped).
func requestPath(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" {
		return r.URL.EscapedPath()
	}
	if i := strings.Index(uri, "://"); i >= 0 && !strings.HasPrefix(uri, "/") {
		uri = uri[i+3:]
		if j := strings.IndexByte(uri, '/'); j >= 0 {
			uri = uri[j:]
		} else {
			uri = "/"
		}
	}
	path, _, _ := strings.Cut(uri, "?")
	return path
}

// requestQuery returns the raw query as sent.
func requestQuery(r *http.Request) string {
	if r.RequestURI == "" {
		return r.URL.RawQuery
	}
	_, q, _ := strings.Cut(r.RequestURI, "?")
	return q
}
