package netsuite

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"

	"golang.org/x/oauth2"
)

// DefaultUserAgent is sent as User-Agent when neither the request nor
// Config.UserAgent sets one.
const DefaultUserAgent = "suitekit-netsuite-go"

// Config is the plain-data configuration of a Connection: one NetSuite
// account (a sandbox is another account, so another Connection).
type Config struct {
	// BaseURL is the REST web services URL. Default:
	// https://<account>.suitetalk.api.netsuite.com, from AccountID. A URL
	// on a NetSuite host also gives the account (realm) and is reduced to
	// scheme and host. Any other host — a proxy, or a netsuitetest server —
	// needs AccountID, and must be https:// unless it is loopback.
	BaseURL string

	// AccountID is the account, in any spelling ParseAccount accepts
	// (1234567, 1234567_SB1, 1234567-sb1, …). Needed when BaseURL is not a
	// NetSuite host; when both are set they must agree.
	AccountID string

	// Auth authenticates each request: TBA, ClientCredentials,
	// AuthorizationCode, or your own Authenticator. Required.
	Auth Authenticator

	// Transport sends the authenticated requests and the token-endpoint
	// calls. Default: http.DefaultTransport.
	Transport http.RoundTripper

	// UserAgent is sent on requests that do not set their own User-Agent.
	// Default: DefaultUserAgent.
	UserAgent string

	// Logger receives warnings (never secrets): a certificate valid for
	// longer than NetSuite allows, a refresh token about to expire, a failed
	// background token refresh. Default: slog.Default().
	Logger *slog.Logger

	// MaxConcurrent bounds the requests in flight through this Connection
	// (0: no bound). NetSuite's limit is account-wide: to share one bound
	// between Connections to the same account, use Limiter instead.
	MaxConcurrent int

	// Limiter is a concurrency bound shared with other Connections; it
	// overrides MaxConcurrent.
	Limiter *Limiter

	// Retry says what is retried and how (nil: DefaultRetryPolicy;
	// NoRetry switches retries off).
	Retry *RetryPolicy
}

// String describes the configuration without secrets.
func (cfg Config) String() string {
	return fmt.Sprintf("netsuite.Config{BaseURL:%s AccountID:%s Auth:%s}", redactUserinfo(cfg.BaseURL), cfg.AccountID, describeAuth(cfg.Auth))
}

// describeAuth prints an Authenticator through its own String or Format,
// or only its type: a user's own type may hold secrets in plain fields.
func describeAuth(a Authenticator) string {
	switch a.(type) {
	case nil:
		return "<nil>"
	case fmt.Formatter, fmt.Stringer:
		return fmt.Sprint(a)
	}
	return fmt.Sprintf("%T", a)
}

// Format makes every fmt verb print String.
func (cfg Config) Format(f fmt.State, verb rune) { io.WriteString(f, cfg.String()) }

// LogValue describes the configuration without secrets.
func (cfg Config) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("base_url", redactUserinfo(cfg.BaseURL)), slog.String("account_id", cfg.AccountID)}
	if lv, ok := cfg.Auth.(slog.LogValuer); ok {
		attrs = append(attrs, slog.Any("auth", lv))
	} else if cfg.Auth != nil {
		attrs = append(attrs, slog.String("auth", fmt.Sprintf("%T", cfg.Auth)))
	}
	return slog.GroupValue(attrs...)
}

// Connection authenticates requests to one NetSuite account. It is an
// http.RoundTripper: use Client, or put it in an http.Client's Transport.
// A Connection is safe for concurrent use and never modifies the requests
// it is given. Close it when done if its authenticator keeps state (OAuth
// 2.0 token caches).
type Connection struct {
	account   Account
	baseURL   string
	trusted   []origin
	auth      RequestAuthenticator
	base      http.RoundTripper
	userAgent string
	limiter   *Limiter
	retry     RetryPolicy
	state     *connState // a pointer, so that the value methods below do not copy atomics
}

// connState is the Connection's mutable state.
type connState struct {
	closed  atomic.Bool
	last429 atomic.Int64 // Unix nanoseconds of the last 429 seen, for the burst-401 rule
}

// ErrClosed is returned by RoundTrip after Close.
var ErrClosed = errors.New("netsuite: connection closed")

// origin is a normalised scheme and host[:port].
type origin struct{ scheme, host string }

func (o origin) String() string { return o.scheme + "://" + o.host }

// NewConnection validates cfg, binds its authenticator to the account and
// returns a ready Connection. Every problem is a *ConfigError naming the
// field (errors.Is(err, ErrInvalidConfig) holds).
func NewConnection(cfg Config) (*Connection, error) {
	if cfg.Auth == nil || isNilPointer(cfg.Auth) {
		return nil, &ConfigError{Field: "Config.Auth", Problem: "it is nil",
			Accepted: "netsuite.TBA{…}, netsuite.ClientCredentials{…}, netsuite.AuthorizationCode{…} or your own Authenticator"}
	}
	var acct Account
	if strings.TrimSpace(cfg.AccountID) != "" {
		a, err := ParseAccount(cfg.AccountID)
		if err != nil {
			return nil, withField(err, "Config.AccountID")
		}
		acct = a
	}
	base, acct, err := resolveBaseURL(cfg.BaseURL, acct)
	if err != nil {
		return nil, err
	}
	c := &Connection{
		account:   acct,
		baseURL:   base.String(),
		trusted:   []origin{originOf(base)},
		base:      cfg.Transport,
		userAgent: cfg.UserAgent,
		state:     new(connState),
		limiter:   cfg.Limiter,
		retry:     DefaultRetryPolicy,
	}
	if cfg.Retry != nil {
		if err := cfg.Retry.check(); err != nil {
			return nil, err
		}
		c.retry = cfg.Retry.withDefaults()
	}
	if c.limiter != nil && c.limiter.Limit() == 0 {
		return nil, &ConfigError{Field: "Config.Limiter", Problem: "it is a zero Limiter, which would never let a request through",
			Accepted: "netsuite.NewLimiter(n), shared by the account's Connections"}
	}
	switch {
	case cfg.MaxConcurrent < 0:
		return nil, &ConfigError{Field: "Config.MaxConcurrent", Problem: fmt.Sprintf("it is %d", cfg.MaxConcurrent),
			Accepted: "0 for no bound, or the number of requests allowed in flight (NetSuite's limit is 5 on developer accounts)"}
	case c.limiter == nil && cfg.MaxConcurrent > 0:
		c.limiter = NewLimiter(cfg.MaxConcurrent)
	}
	for _, h := range acct.serviceHosts() {
		if o := (origin{"https", h}); o != c.trusted[0] {
			c.trusted = append(c.trusted, o)
		}
	}
	if c.base == nil {
		c.base = http.DefaultTransport
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	b := Binding{
		Account:    acct,
		BaseURL:    c.baseURL,
		HTTPClient: &http.Client{Transport: c.base, CheckRedirect: noRedirects},
		UserAgent:  c.userAgent,
		Logger:     logger,
	}
	b.TokenURL, b.AuthorizeURL, b.RevokeURL = acct.TokenURL(), acct.AuthorizeURL(), acct.RevokeURL()
	if _, ok := netsuiteHostLabel(base.Hostname()); !ok {
		b.TokenURL, b.AuthorizeURL, b.RevokeURL = c.baseURL+tokenPath, c.baseURL+authorizePath, c.baseURL+revokePath
	}
	auth, err := cfg.Auth.Bind(b)
	if err != nil {
		return nil, err
	}
	if auth == nil {
		return nil, &ConfigError{Field: "Config.Auth", Problem: fmt.Sprintf("%T.Bind returned no authenticator", cfg.Auth)}
	}
	c.auth = auth
	return c, nil
}

// isNilPointer reports whether v is a typed nil pointer.
func isNilPointer(v any) bool {
	r := reflect.ValueOf(v)
	return r.Kind() == reflect.Pointer && r.IsNil()
}

// noRedirects makes token-endpoint clients return a redirect as it is.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// resolveBaseURL validates the Base URL and reconciles it with the account.
func resolveBaseURL(raw string, acct Account) (*url.URL, Account, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		if acct.IsZero() {
			return nil, acct, &ConfigError{Field: "Config.BaseURL", Problem: "neither it nor Config.AccountID is set",
				Accepted: "set AccountID (e.g. 1234567_SB1), or BaseURL (e.g. https://1234567-sb1.suitetalk.api.netsuite.com)"}
		}
		u, _ := url.Parse(acct.RESTURL())
		return u, acct, nil
	}
	bad := func(problem string) error {
		return &ConfigError{Field: "Config.BaseURL", Problem: quoteInput(raw) + ": " + problem,
			Accepted: "https://<account>.suitetalk.api.netsuite.com, or another https:// URL (or http:// on loopback) with Config.AccountID set"}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, acct, bad("it is not an absolute http(s) URL")
	}
	if u.User != nil {
		return nil, acct, bad("it has a user name or password in it; credentials go in Config.Auth")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, acct, bad("it has a query or fragment")
	}
	if _, ok := netsuiteHostLabel(strings.ToLower(u.Hostname())); ok {
		fromURL, err := ParseAccount(raw)
		if err != nil {
			return nil, acct, withField(err, "Config.BaseURL")
		}
		if !acct.IsZero() && acct != fromURL {
			return nil, acct, &ConfigError{Field: "Config.AccountID",
				Problem:  fmt.Sprintf("it is %s but Config.BaseURL is on the host of account %s", acct, fromURL),
				Accepted: "the same account in both, or only one of them"}
		}
		acct = fromURL
		if strings.HasSuffix(strings.ToLower(u.Hostname()), appSuffix) {
			u, _ = url.Parse(acct.RESTURL()) // the UI host serves no REST API
		}
		return &url.URL{Scheme: "https", Host: strings.ToLower(u.Hostname())}, acct, nil
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, acct, bad("plain http:// would send credentials unencrypted; only loopback hosts may use it")
	}
	if acct.IsZero() {
		return nil, acct, &ConfigError{Field: "Config.AccountID",
			Problem:  "it is not set, and Config.BaseURL " + quoteInput(raw) + " is not a NetSuite host to take the account from",
			Accepted: "the account ID as NetSuite shows it, e.g. 1234567_SB1"}
	}
	u.Host = originOf(u).host
	u.Scheme = strings.ToLower(u.Scheme)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, acct, nil
}

// originOf normalises a URL's scheme and host: lower case, default port and
// trailing dot dropped.
func originOf(u *url.URL) origin {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	host = strings.TrimSuffix(host, ".")
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "https" && p == "443") && !(scheme == "http" && p == "80") {
		host += ":" + p
	}
	return origin{scheme, host}
}

// Account returns the NetSuite account.
func (c *Connection) Account() Account { return c.account }

// BaseURL returns the Base URL, without a trailing slash.
func (c *Connection) BaseURL() string { return c.baseURL }

// Client returns an http.Client that sends its requests through c. A
// redirect to a host other than the account's own fails with
// ErrUntrustedHost instead of carrying credentials there.
func (c *Connection) Client() *http.Client { return &http.Client{Transport: c} }

// RoundTrip authenticates a clone of req and sends it with the base
// transport. req itself is never modified. A request to a host that is not
// the account's own (or the Base URL's) gets ErrUntrustedHost and no
// credentials. Every HTTP status comes back as (resp, nil).
//
// With OAuth 2.0, a 401 drops the access token that was sent (unless a newer
// one has replaced it) and, when the request can be sent again (no body, or
// GetBody set), sends it once more with a fresh token.
func (c *Connection) RoundTrip(req *http.Request) (*http.Response, error) {
	if c.state.closed.Load() {
		closeBody(req.Body)
		return nil, ErrClosed
	}
	if err := c.checkTrusted(req); err != nil {
		closeBody(req.Body)
		return nil, err
	}
	return c.send(req)
}

// attempt authenticates a clone of req carrying body and sends it.
func (c *Connection) attempt(req *http.Request, body io.ReadCloser) (*http.Response, *http.Request, error) {
	r := req.Clone(req.Context())
	r.Body = body
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", c.userAgent)
	}
	if err := c.auth.Authenticate(r); err != nil {
		if r.Body == body {
			closeBody(body)
		}
		return nil, r, &authFailure{err}
	}
	resp, err := c.base.RoundTrip(r)
	return resp, r, err
}

// authFailure marks an error of the authenticator.
type authFailure struct{ err error }

func (a *authFailure) Error() string { return a.err.Error() }
func (a *authFailure) Unwrap() error { return a.err }

// replayBody returns a fresh copy of req's body for another attempt, and
// whether there is one.
func replayBody(req *http.Request) (io.ReadCloser, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	b, err := req.GetBody()
	return b, err == nil
}

// drain reads a little of a response that is being discarded, so that its
// connection can be reused, and closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
}

// TokenSource returns the Connection's OAuth 2.0 access tokens as an
// oauth2.TokenSource, for code that needs the bearer token elsewhere. It
// shares the Connection's cache. With TBA, which has no tokens, its Token
// method returns an error.
func (c *Connection) TokenSource() oauth2.TokenSource {
	if ts, ok := c.auth.(tokenSourcer); ok {
		return ts.tokenSource()
	}
	return noTokens{}
}

// Close releases what the authenticator holds (token caches and their
// background refresh). Requests after Close fail with ErrClosed.
func (c *Connection) Close() error {
	c.state.closed.Store(true)
	if cl, ok := c.auth.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// checkTrusted refuses a request whose URL (or Host override) is not an
// origin of this account.
func (c *Connection) checkTrusted(req *http.Request) error {
	if req.URL == nil {
		return errors.New("netsuite: request has no URL")
	}
	// Fast path: the URL is spelled exactly like a trusted origin.
	if req.Host == "" || req.Host == req.URL.Host {
		for _, t := range c.trusted {
			if req.URL.Host == t.host && req.URL.Scheme == t.scheme {
				return nil
			}
		}
	}
	o := originOf(req.URL)
	ok := c.isTrusted(o)
	if ok && req.Host != "" {
		ok = c.isTrusted(originOf(&url.URL{Scheme: o.scheme, Host: req.Host}))
	}
	if ok {
		return nil
	}
	allowed := make([]string, len(c.trusted))
	for i, t := range c.trusted {
		allowed[i] = t.String()
	}
	return fmt.Errorf("%w: request to %s was not sent; this Connection sends credentials only to %s "+
		"(a redirect to another host, or a URL built from untrusted input?)",
		ErrUntrustedHost, o, strings.Join(allowed, ", "))
}

func (c *Connection) isTrusted(o origin) bool {
	for _, t := range c.trusted {
		if t == o {
			return true
		}
	}
	return false
}

func closeBody(b io.ReadCloser) {
	if b != nil {
		b.Close()
	}
}

// String describes the Connection without secrets.
func (c Connection) String() string {
	return fmt.Sprintf("netsuite.Connection{Account:%s BaseURL:%s Auth:%T}", c.account, c.baseURL, c.auth)
}

// Format makes every fmt verb print String.
func (c Connection) Format(f fmt.State, verb rune) { io.WriteString(f, c.String()) }

// LogValue describes the Connection without secrets.
func (c Connection) LogValue() slog.Value {
	return slog.GroupValue(slog.String("account", c.account.ID()), slog.String("base_url", c.baseURL),
		slog.String("auth", fmt.Sprintf("%T", c.auth)))
}
