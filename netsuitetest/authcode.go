package netsuitetest

// The OAuth 2.0 authorization code flow: the authorize endpoint (which
// auto-approves: there is no login page), the authorization_code and
// refresh_token grants of the token endpoint, and the revoke endpoint.
//
// An authorization is tracked as a grant family (authGrant): the code, the
// refresh tokens issued from it (one for a confidential client; a chain for
// a public client, whose refresh tokens rotate) and every access token
// issued from any of them. Reusing the code, or revoking one of its refresh
// tokens, kills the whole family (RFC 6749 §4.1.2, RFC 7009 §2.1).
//
// Every check of a grant runs under Server.mu in one critical section, so
// that two concurrent refreshes with one rotating refresh token cannot both
// succeed.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/suitekit/netsuite"
)

// AuthorizePath is the path of NetSuite's OAuth 2.0 authorization page.
const AuthorizePath = "/app/login/oauth2/authorize.nl"

// RevokePath is the path of NetSuite's OAuth 2.0 token revocation endpoint.
const RevokePath = "/services/rest/auth/oauth2/v1/revoke"

// Refresh token lifetimes.
const (
	// DefaultRefreshTokenLifetime is the lifetime of a confidential
	// client's refresh token (NetSuite: 7 days, counted from the
	// authorization, not restarted by refreshes).
	DefaultRefreshTokenLifetime = 7 * 24 * time.Hour
	// DefaultPublicRefreshTokenLifetime is the default lifetime of a
	// public client's refresh token, counted from its own issue.
	DefaultPublicRefreshTokenLifetime = 48 * time.Hour
	// MinPublicRefreshTokenLifetime and MaxPublicRefreshTokenLifetime
	// bound what an integration record accepts for a public client.
	MinPublicRefreshTokenLifetime = time.Hour
	MaxPublicRefreshTokenLifetime = 720 * time.Hour
)

// AuthorizationCodeLifetime is how long an authorization code can be
// exchanged after it is issued.
const AuthorizationCodeLifetime = 10 * time.Minute

const (
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"

	// defaultRedirectURI is the redirect URI of the default clients
	// (AuthorizationCode, PublicAuthorizationCode): any port, by the
	// loopback rule.
	defaultRedirectURI = "http://127.0.0.1/callback"
	// defaultRedirectURL is what the default clients' RedirectURL says:
	// port 0, "pick a free port".
	defaultRedirectURL = "http://127.0.0.1:0/callback"

	minStateLen = 22
	maxStateLen = 1024
)

// AuthCodeClient is an integration record with the Authorization Code
// grant.
type AuthCodeClient struct {
	// ClientID is the integration record's client ID.
	ClientID string
	// ClientSecret is the client secret; "" makes a public client: PKCE
	// required, client_id in the token request body and no client
	// authentication, refresh tokens that rotate.
	ClientSecret string
	// RedirectURI is the registered redirect URI. The authorization
	// request's redirect_uri must match it byte for byte, except that for
	// a loopback http URI (host 127.0.0.1, localhost or [::1]) any port
	// matches, as RFC 8252 §7.3 asks. It must be absolute and have no
	// fragment.
	RedirectURI string
	// Scopes are the scopes enabled on the integration; default
	// rest_webservices.
	Scopes []string
	// RefreshTokenLifetime is the refresh tokens' lifetime. Confidential
	// clients: default DefaultRefreshTokenLifetime (7 days), counted from
	// the authorization. Public clients: MinPublicRefreshTokenLifetime to
	// MaxPublicRefreshTokenLifetime (1 to 720 hours), default
	// DefaultPublicRefreshTokenLifetime (48 hours), counted from each
	// refresh token's issue.
	RefreshTokenLifetime time.Duration
}

func (c *AuthCodeClient) public() bool { return c.ClientSecret == "" }

// authCodeState is the authorization code flow's state, part of
// oauth2State and guarded by Server.mu.
type authCodeState struct {
	clients       map[string]*AuthCodeClient // by client ID
	defaultConf   string                     // client ID of the default confidential client
	defaultPublic string                     // client ID of the default public client
	codes         map[string]*authGrant      // by code
	refresh       map[string]*refreshToken   // by refresh token
	login         struct{ company, role, entity string }
	deny          struct{ code, description string }
	hmacKey       []byte // signs refresh tokens
}

// authGrant is one authorization: the code and everything issued from it.
type authGrant struct {
	clientID      string
	redirectURI   string // as sent in the authorization request
	scopes        []string
	challenge     string // S256 code_challenge; "" when none was sent
	issued        time.Time
	used          bool
	revoked       bool
	refreshTokens []string
	accessTokens  []string
}

// refreshToken is one issued refresh token.
type refreshToken struct {
	grant  *authGrant
	issued time.Time
	expiry time.Time
	dead   bool // rotated away or revoked
}

// AddAuthCodeClient registers an integration record with the authorization
// code grant. A client with the same ClientID is replaced. It panics when
// ClientID or RedirectURI is missing, when RedirectURI is not an absolute
// URI without fragment, or when a public client's RefreshTokenLifetime is
// outside 1..720 hours, as httptest does on setup errors.
func (s *Server) AddAuthCodeClient(c AuthCodeClient) {
	if c.ClientID == "" || c.RedirectURI == "" {
		panic("netsuitetest: AddAuthCodeClient needs ClientID and RedirectURI")
	}
	if u, err := url.Parse(c.RedirectURI); err != nil || !u.IsAbs() || strings.Contains(c.RedirectURI, "#") {
		panic(fmt.Sprintf("netsuitetest: AddAuthCodeClient: RedirectURI %q is not an absolute URI without fragment", c.RedirectURI))
	}
	c.Scopes = slices.Clone(c.Scopes)
	if len(c.Scopes) == 0 {
		c.Scopes = []string{netsuite.ScopeRESTWebServices}
	}
	switch {
	case c.public() && c.RefreshTokenLifetime == 0:
		c.RefreshTokenLifetime = DefaultPublicRefreshTokenLifetime
	case c.public() && (c.RefreshTokenLifetime < MinPublicRefreshTokenLifetime || c.RefreshTokenLifetime > MaxPublicRefreshTokenLifetime):
		panic(fmt.Sprintf("netsuitetest: AddAuthCodeClient: a public client's RefreshTokenLifetime must be 1h to 720h, not %s", c.RefreshTokenLifetime))
	case c.RefreshTokenLifetime <= 0:
		c.RefreshTokenLifetime = DefaultRefreshTokenLifetime
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addAuthCodeClientLocked(c)
}

func (s *Server) addAuthCodeClientLocked(c AuthCodeClient) {
	if s.oauth.authcode.clients == nil {
		s.oauth.authcode.clients = make(map[string]*AuthCodeClient)
	}
	s.oauth.authcode.clients[c.ClientID] = &c
}

// AuthorizationCode returns a netsuite.AuthorizationCode the server
// accepts, for a default confidential client registered on the first call
// (random client ID and secret; redirect URI http://127.0.0.1/callback,
// which matches any port by the loopback rule; scopes rest_webservices and
// restlets enabled). Only ClientID, ClientSecret and RedirectURL
// ("http://127.0.0.1:0/callback": port 0 picks a free port) are set; the
// client derives the endpoints from the Connection's Base URL. Later calls
// return the same credentials.
func (s *Server) AuthorizationCode() netsuite.AuthorizationCode {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.oauth.authcode
	if st.defaultConf == "" {
		c := AuthCodeClient{
			ClientID: randomHex(32), ClientSecret: randomHex(32), RedirectURI: defaultRedirectURI,
			Scopes:               []string{netsuite.ScopeRESTWebServices, netsuite.ScopeRESTlets},
			RefreshTokenLifetime: DefaultRefreshTokenLifetime,
		}
		s.addAuthCodeClientLocked(c)
		st.defaultConf = c.ClientID
	}
	c := st.clients[st.defaultConf]
	return netsuite.AuthorizationCode{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: defaultRedirectURL}
}

// PublicAuthorizationCode is AuthorizationCode for a default public client:
// no secret (PKCE only), refresh tokens that rotate and live
// DefaultPublicRefreshTokenLifetime (48 hours).
func (s *Server) PublicAuthorizationCode() netsuite.AuthorizationCode {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.oauth.authcode
	if st.defaultPublic == "" {
		c := AuthCodeClient{
			ClientID: randomHex(32), RedirectURI: defaultRedirectURI,
			Scopes:               []string{netsuite.ScopeRESTWebServices, netsuite.ScopeRESTlets},
			RefreshTokenLifetime: DefaultPublicRefreshTokenLifetime,
		}
		s.addAuthCodeClientLocked(c)
		st.defaultPublic = c.ClientID
	}
	return netsuite.AuthorizationCode{ClientID: st.defaultPublic, RedirectURL: defaultRedirectURL}
}

// SetLogin sets what the next authorizations return in the callback: the
// company (default: the account ID), the role (default "3",
// Administrator) and the entity (default "-5"). An empty argument means
// that field's default.
func (s *Server) SetLogin(company, role, entity string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.authcode.login.company, s.oauth.authcode.login.role, s.oauth.authcode.login.entity = company, role, entity
}

// DenyAuthorization makes the authorize endpoint answer the next
// authorization requests (those that pass the request checks) with
// error=code and error_description=description on the redirect URI, e.g.
// "access_denied" as when the user clicks Deny. An empty code restores
// auto-approval.
func (s *Server) DenyAuthorization(code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.authcode.deny.code, s.oauth.authcode.deny.description = code, description
}

// AuthorizeURL returns the server's authorization page: s.URL +
// AuthorizePath.
func (s *Server) AuthorizeURL() string { return s.URL + AuthorizePath }

// RevokeURL returns the server's revocation endpoint: s.URL + RevokePath.
func (s *Server) RevokeURL() string { return s.URL + RevokePath }

// Grants returns how many access tokens were issued per grant type
// ("authorization_code", "refresh_token", "client_credentials"). The map is
// a copy.
func (s *Server) Grants() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.oauth.grants))
	for g, n := range s.oauth.grants {
		out[g] = n
	}
	return out
}

// RefreshTokenAlive reports whether a refresh token is valid now: issued by
// this server, not rotated away, revoked or spent with its code, and not
// expired by the server clock.
func (s *Server) RefreshTokenAlive(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.oauth.authcode.refresh[token]
	return ok && rt.alive(s.now())
}

func (rt *refreshToken) alive(now time.Time) bool {
	return !rt.dead && !rt.grant.revoked && now.Before(rt.expiry)
}

// ---- authorize endpoint ----

// serveAuthorize answers GET /app/login/oauth2/authorize.nl. It runs
// before (and instead of) REST authentication and approves at once.
// Until client_id and redirect_uri check out, errors are a 400 HTML page
// (RFC 6749 §4.1.2.1: never redirect to an unverified URI); after that
// they go back to the redirect URI as error=…&error_description=…&state=….
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, rec *Request) {
	page := func(status int, message, reason string) {
		rec.Reject = reason
		writeHTMLError(w, status, message)
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		page(http.StatusMethodNotAllowed, "The authorization page accepts GET only.", "authorize: method "+r.Method+" is not GET")
		return
	}
	q, err := url.ParseQuery(requestQuery(r))
	if err != nil {
		page(http.StatusBadRequest, "The request is malformed.", "authorize: query: "+err.Error())
		return
	}
	for _, name := range []string{"client_id", "redirect_uri"} {
		if len(q[name]) > 1 {
			page(http.StatusBadRequest, "Invalid request: "+name+" is repeated.", "authorize: "+name+" appears more than once")
			return
		}
	}
	clientID := q.Get("client_id")
	s.mu.Lock()
	var client AuthCodeClient
	c, ok := s.oauth.authcode.clients[clientID]
	if ok {
		client = *c
	}
	s.mu.Unlock()
	switch {
	case clientID == "":
		page(http.StatusBadRequest, "Invalid request: client_id is missing.", "authorize: no client_id")
		return
	case !ok:
		page(http.StatusBadRequest, "Invalid login attempt: the client_id is not valid.", fmt.Sprintf("authorize: client_id %q is not registered", clientID))
		return
	}
	redirectURI := q.Get("redirect_uri")
	switch {
	case redirectURI == "":
		page(http.StatusBadRequest, "Invalid request: redirect_uri is missing.", "authorize: no redirect_uri")
		return
	case !redirectMatches(client.RedirectURI, redirectURI):
		page(http.StatusBadRequest, "Invalid request: the redirect_uri does not match the integration record.",
			fmt.Sprintf("authorize: redirect_uri %q does not match the registered %q (byte for byte; any port only for a loopback http URI)", redirectURI, client.RedirectURI))
		return
	}

	state := q.Get("state")
	fail := func(code, description, reason string) {
		rec.Reject = reason
		v := []string{"error=" + url.QueryEscape(code)}
		if description != "" {
			v = append(v, "error_description="+url.QueryEscape(description))
		}
		if q.Has("state") {
			v = append(v, "state="+url.QueryEscape(state))
		}
		redirect(w, redirectURI, v)
	}
	for name, vs := range q {
		if len(vs) > 1 {
			fail("invalid_request", "Parameter "+name+" is repeated.", "authorize: parameter "+name+" appears more than once (RFC 6749 §3.1)")
			return
		}
	}
	switch rt := q.Get("response_type"); rt {
	case "code":
	case "":
		fail("invalid_request", "response_type is missing.", "authorize: no response_type")
		return
	default:
		fail("unsupported_response_type", "The response type is not supported.", fmt.Sprintf("authorize: response_type %q is not code", rt))
		return
	}
	scopes, reason := parseScopeParam(q, client.Scopes)
	if reason != "" {
		fail("invalid_scope", "The requested scope is invalid or not enabled.", "authorize: "+reason)
		return
	}
	if reason := checkState(q); reason != "" {
		fail("invalid_request", "The state parameter is missing or invalid.", "authorize: "+reason)
		return
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && q.Has("code_challenge_method"):
		fail("invalid_request", "code_challenge_method without code_challenge.", "authorize: code_challenge_method sent without code_challenge")
		return
	case challenge != "" && method != "S256":
		m := fmt.Sprintf("%q", method)
		if method == "" {
			m = "absent (plain, by RFC 7636 §4.3)"
		}
		fail("invalid_request", "Only the S256 code challenge method is supported.", "authorize: code_challenge_method "+m+" is not S256")
		return
	case challenge != "" && !validChallenge(challenge):
		fail("invalid_request", "The code_challenge is invalid.",
			fmt.Sprintf("authorize: code_challenge %q is not 43 base64url characters (a SHA-256 digest)", challenge))
		return
	case challenge == "" && client.public():
		fail("invalid_request", "PKCE is required for public clients.", "authorize: public client sent no code_challenge")
		return
	}

	s.mu.Lock()
	st := &s.oauth.authcode
	deny := st.deny
	login := st.login
	now := s.now()
	var code string
	if deny.code == "" {
		code = randomToken()
		if st.codes == nil {
			st.codes = make(map[string]*authGrant)
		}
		st.codes[code] = &authGrant{
			clientID: client.ClientID, redirectURI: redirectURI, scopes: scopes,
			challenge: challenge, issued: now,
		}
	}
	s.mu.Unlock()
	if deny.code != "" {
		fail(deny.code, deny.description, "authorize: denied by DenyAuthorization("+deny.code+")")
		return
	}
	if login.company == "" {
		login.company = s.account.ID()
	}
	if login.role == "" {
		login.role = "3"
	}
	if login.entity == "" {
		login.entity = "-5"
	}
	redirect(w, redirectURI, []string{
		"code=" + url.QueryEscape(code),
		"state=" + url.QueryEscape(state),
		"role=" + url.QueryEscape(login.role),
		"entity=" + url.QueryEscape(login.entity),
		"company=" + url.QueryEscape(login.company),
	})
}

// redirect answers 302 to target with params appended to its query (an
// existing query is kept, as RFC 6749 §3.1.2 asks).
func redirect(w http.ResponseWriter, target string, params []string) {
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
		if strings.HasSuffix(target, "?") || strings.HasSuffix(target, "&") {
			sep = ""
		}
	}
	w.Header().Set("Location", target+sep+strings.Join(params, "&"))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
}

// writeHTMLError answers with a small HTML error page, as the NetSuite UI
// does for requests it will not redirect.
func writeHTMLError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><title>Error</title></head><body><h1>Error</h1><p>%s</p></body></html>\n",
		html.EscapeString(message))
}

// redirectMatches reports whether a redirect_uri matches the registered
// one: byte for byte, or, for a loopback http URI, byte for byte except
// the port (RFC 8252 §7.3).
func redirectMatches(registered, got string) bool {
	if registered == got {
		return true
	}
	rh, _, rrest, ok1 := splitLoopback(registered)
	gh, _, grest, ok2 := splitLoopback(got)
	return ok1 && ok2 && rh == gh && rrest == grest
}

// splitLoopback splits an http URI with a loopback host (127.0.0.1,
// localhost, [::1]) into host (as written, brackets kept), port ("" when
// absent) and the rest (path, query, fragment as written).
func splitLoopback(raw string) (host, port, rest string, ok bool) {
	const scheme = "http://"
	if !strings.HasPrefix(raw, scheme) {
		return "", "", "", false
	}
	authority := raw[len(scheme):]
	if i := strings.IndexAny(authority, "/?#"); i >= 0 {
		authority, rest = authority[:i], authority[i:]
	}
	host = authority
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", "", "", false
		}
		host, port = authority[:end+1], authority[end+1:]
	} else if i := strings.LastIndexByte(authority, ':'); i >= 0 {
		host, port = authority[:i], authority[i:]
	}
	if port != "" {
		if port[0] != ':' || len(port) == 1 || len(port) > 6 || strings.Trim(port[1:], "0123456789") != "" {
			return "", "", "", false
		}
		port = port[1:]
	}
	switch host {
	case "127.0.0.1", "localhost", "[::1]":
		return host, port, rest, true
	}
	return "", "", "", false
}

// parseScopeParam checks the scope parameter: present, scope names
// separated by single spaces, none empty, each enabled for the client. It
// returns the scopes (without duplicates) or why they are refused.
func parseScopeParam(q url.Values, enabled []string) ([]string, string) {
	if !q.Has("scope") {
		return nil, "no scope"
	}
	raw := q.Get("scope")
	if raw == "" {
		return nil, "empty scope"
	}
	var out []string
	for _, sc := range strings.Split(raw, " ") {
		switch {
		case sc == "":
			return nil, fmt.Sprintf("scope %q has an empty name (scopes are separated by single spaces)", raw)
		case strings.Contains(sc, ","):
			return nil, fmt.Sprintf("scope %q is separated by commas; NetSuite wants spaces", raw)
		case !slices.Contains(enabled, sc):
			return nil, fmt.Sprintf("scope %q is not enabled for the client (enabled: %s)", sc, strings.Join(enabled, " "))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, ""
}

// checkState checks the state parameter: 22 to 1024 printable ASCII
// characters (%x20-7E).
func checkState(q url.Values) string {
	if !q.Has("state") {
		return "no state"
	}
	state := q.Get("state")
	if n := len(state); n < minStateLen || n > maxStateLen {
		return fmt.Sprintf("state is %d bytes; NetSuite wants %d to %d printable ASCII characters", n, minStateLen, maxStateLen)
	}
	for i := 0; i < len(state); i++ {
		if state[i] < 0x20 || state[i] > 0x7e {
			return fmt.Sprintf("state has a byte 0x%02x at %d that is not printable ASCII", state[i], i)
		}
	}
	return ""
}

// validChallenge reports whether an S256 code_challenge is well formed:
// base64url without padding of a 32-byte digest, 43 characters.
func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// validVerifier reports whether a code_verifier has RFC 7636 §4.1's form:
// 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// ---- client authentication ----

// invalidClient is RFC 6749's invalid_client with 401 and a Basic
// challenge (written by writeTokenError): the authorization code clients
// authenticate with HTTP Basic.
func invalidClient(reason string) *tokenError {
	return &tokenError{status: http.StatusUnauthorized, code: "invalid_client", description: "Client authentication failed.", reason: reason}
}

// authenticateClient authenticates an authorization code client at the
// token and revoke endpoints. A confidential client uses HTTP Basic with
// client_id:client_secret, each form-url-encoded (RFC 6749 §2.3.1), and
// nothing else; a public client sends client_id in the body and no
// credentials. It returns a copy of the client. Call it with s.mu held.
func (s *Server) authenticateClientLocked(r *http.Request, form url.Values) (AuthCodeClient, *tokenError) {
	clients := s.oauth.authcode.clients
	h := r.Header.Get("Authorization")
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		return AuthCodeClient{}, badRequest("invalid_request", "The request uses several client authentication methods.",
			"client_assertion sent to an authorization code grant (client assertions are for client_credentials)")
	}
	if h != "" {
		if form.Has("client_secret") {
			return AuthCodeClient{}, badRequest("invalid_request", "The request uses several client authentication methods.",
				"client_secret sent in the body as well as an Authorization header: use HTTP Basic only")
		}
		scheme, _, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return AuthCodeClient{}, invalidClient(fmt.Sprintf("Authorization scheme %q is not Basic", scheme))
		}
		rawID, rawSecret, ok := r.BasicAuth()
		if !ok {
			return AuthCodeClient{}, invalidClient("Authorization: Basic is not base64 of client_id:client_secret")
		}
		id, err1 := url.QueryUnescape(rawID)
		secret, err2 := url.QueryUnescape(rawSecret)
		if err1 != nil || err2 != nil {
			return AuthCodeClient{}, invalidClient("Basic credentials are not form-url-encoded (RFC 6749 §2.3.1)")
		}
		c, ok := clients[id]
		switch {
		case !ok:
			return AuthCodeClient{}, invalidClient(fmt.Sprintf("Basic client_id %q is not registered", id))
		case c.public():
			return AuthCodeClient{}, invalidClient(fmt.Sprintf("client %q is public: it sends client_id in the body and no Authorization header", id))
		case subtle.ConstantTimeCompare([]byte(secret), []byte(c.ClientSecret)) != 1:
			return AuthCodeClient{}, invalidClient(fmt.Sprintf("wrong client secret for client %q (Basic credentials are form-url-encoded before base64, RFC 6749 §2.3.1)", id))
		case form.Has("client_id") && form.Get("client_id") != id:
			return AuthCodeClient{}, badRequest("invalid_request", "client_id does not match the authenticated client.",
				fmt.Sprintf("client_id %q in the body differs from the Basic client_id %q", form.Get("client_id"), id))
		}
		return *c, nil
	}
	id := form.Get("client_id")
	if id == "" {
		reason := "no client authentication: neither an Authorization: Basic header nor client_id"
		if form.Has("client_secret") {
			reason = "client_secret in the body without client_id; confidential clients must use HTTP Basic"
		}
		return AuthCodeClient{}, invalidClient(reason)
	}
	c, ok := clients[id]
	switch {
	case !ok:
		return AuthCodeClient{}, invalidClient(fmt.Sprintf("client_id %q is not registered", id))
	case !c.public() && form.Has("client_secret"):
		return AuthCodeClient{}, invalidClient(fmt.Sprintf("client %q sent client_secret in the body: confidential clients must use HTTP Basic, and only that", id))
	case !c.public():
		return AuthCodeClient{}, invalidClient(fmt.Sprintf("client %q is confidential and sent no Authorization: Basic header", id))
	case form.Has("client_secret"):
		return AuthCodeClient{}, invalidClient(fmt.Sprintf("client %q is public and has no secret, yet client_secret was sent", id))
	}
	return *c, nil
}

// ---- token endpoint grants ----

// authorizationCodeGrant checks a grant_type=authorization_code request, in
// this order: client authentication; code present, known, issued to this
// client, unused (a reuse kills everything issued from the code), younger
// than AuthorizationCodeLifetime; redirect_uri equal to the authorization
// request's; code_verifier against the S256 challenge. A refused request
// does not consume the code.
func (s *Server) authorizationCodeGrant(r *http.Request, form url.Values, rec *Request) (*tokenResponse, *tokenError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	client, terr := s.authenticateClientLocked(r, form)
	if terr != nil {
		return nil, terr
	}
	code := form.Get("code")
	if code == "" {
		return nil, badRequest("invalid_request", "code is missing.", "no code")
	}
	invalidGrant := func(description, reason string) *tokenError {
		return badRequest("invalid_grant", description, reason)
	}
	g, ok := s.oauth.authcode.codes[code]
	switch {
	case !ok:
		return nil, invalidGrant("The authorization code is invalid.", "unknown authorization code")
	case g.clientID != client.ClientID:
		return nil, invalidGrant("The authorization code is invalid.",
			fmt.Sprintf("the code was issued to client %q, not %q", g.clientID, client.ClientID))
	case g.used:
		n := s.revokeGrantLocked(g)
		return nil, invalidGrant("The authorization code has already been used.",
			fmt.Sprintf("authorization code reused: the %d tokens issued from it are revoked (RFC 6749 §4.1.2)", n))
	case !now.Before(g.issued.Add(AuthorizationCodeLifetime)):
		return nil, invalidGrant("The authorization code has expired.",
			fmt.Sprintf("authorization code issued %s ago (at most %s; server clock)", now.Sub(g.issued), AuthorizationCodeLifetime))
	}
	switch got := form.Get("redirect_uri"); {
	case !form.Has("redirect_uri"):
		return nil, badRequest("invalid_request", "redirect_uri is missing.", "no redirect_uri (it was in the authorization request)")
	case got != g.redirectURI:
		return nil, invalidGrant("The redirect_uri does not match the authorization request.",
			fmt.Sprintf("redirect_uri %q is not the authorization request's %q", got, g.redirectURI))
	}
	verifier := form.Get("code_verifier")
	switch {
	case g.challenge == "" && form.Has("code_verifier"):
		return nil, invalidGrant("The code_verifier is unexpected.", "code_verifier sent, but the authorization request had no code_challenge")
	case g.challenge == "":
	case verifier == "":
		return nil, invalidGrant("The code_verifier is missing.", "no code_verifier, but the authorization request had a code_challenge")
	case !validVerifier(verifier):
		return nil, invalidGrant("The code_verifier is invalid.", "code_verifier is not 43-128 unreserved characters (RFC 7636 §4.1)")
	case s256(verifier) != g.challenge:
		return nil, invalidGrant("The code_verifier does not match the code_challenge.", "BASE64URL(SHA256(code_verifier)) differs from the code_challenge")
	}
	g.used = true
	rt := s.issueRefreshTokenLocked(g, &client, now)
	at, lifetime := s.issueTokenLocked(client.ClientID, g.scopes, grantAuthorizationCode, now)
	g.accessTokens = append(g.accessTokens, at)
	return &tokenResponse{accessToken: at, refreshToken: rt, lifetime: lifetime}, nil
}

// refreshTokenGrant checks a grant_type=refresh_token request: client
// authentication; refresh_token present, known, of this client, alive
// (not rotated away or revoked) and not expired by the server clock;
// scope, when sent, within the authorization's. A public client gets a
// new refresh token and the old one dies; a confidential client keeps its
// refresh token and the answer has none.
func (s *Server) refreshTokenGrant(r *http.Request, form url.Values, rec *Request) (*tokenResponse, *tokenError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	client, terr := s.authenticateClientLocked(r, form)
	if terr != nil {
		return nil, terr
	}
	tok := form.Get("refresh_token")
	if tok == "" {
		return nil, badRequest("invalid_request", "refresh_token is missing.", "no refresh_token")
	}
	invalid := func(reason string) *tokenError { return badRequest("invalid_grant", "Invalid refresh token.", reason) }
	rt, ok := s.oauth.authcode.refresh[tok]
	switch {
	case !ok:
		return nil, invalid("unknown refresh token")
	case rt.grant.clientID != client.ClientID:
		return nil, invalid(fmt.Sprintf("the refresh token was issued to client %q, not %q", rt.grant.clientID, client.ClientID))
	case rt.grant.revoked:
		return nil, invalid("refresh token revoked (revoke endpoint, or its authorization code was reused)")
	case rt.dead:
		return nil, invalid("refresh token already used: a public client's refresh token is replaced by the new one at each refresh")
	case !now.Before(rt.expiry):
		from := "its issue"
		if !client.public() {
			from = "the authorization"
		}
		return nil, invalid(fmt.Sprintf("refresh token expired at %s, %s after %s (server clock %s)",
			rt.expiry.UTC().Format(time.RFC3339), rt.expiry.Sub(rt.issued), from, now.UTC().Format(time.RFC3339)))
	}
	scopes := rt.grant.scopes
	if form.Has("scope") {
		sc, reason := parseScopeParam(form, rt.grant.scopes)
		if reason != "" {
			return nil, badRequest("invalid_scope", "The requested scope exceeds the authorization.", reason)
		}
		scopes = sc
	}
	var newRT string
	if client.public() {
		rt.dead = true
		newRT = s.issueRefreshTokenLocked(rt.grant, &client, now)
	}
	at, lifetime := s.issueTokenLocked(client.ClientID, scopes, grantRefreshToken, now)
	rt.grant.accessTokens = append(rt.grant.accessTokens, at)
	return &tokenResponse{accessToken: at, refreshToken: newRT, lifetime: lifetime}, nil
}

// revokeGrantLocked kills every refresh and access token of an
// authorization and returns how many were alive.
func (s *Server) revokeGrantLocked(g *authGrant) int {
	n := 0
	if !g.revoked {
		g.revoked = true
		for _, t := range g.refreshTokens {
			if rt := s.oauth.authcode.refresh[t]; rt != nil && !rt.dead {
				rt.dead = true
				n++
			}
		}
	}
	for _, t := range g.accessTokens {
		if it := s.oauth.tokens[t]; it != nil && !it.revoked {
			it.revoked = true
			n++
		}
	}
	return n
}

// s256 is BASE64URL(SHA256(verifier)), RFC 7636 §4.2.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// refreshClaims is the payload of a refresh token.
type refreshClaims struct {
	Exp      int64  `json:"exp"`
	Iat      int64  `json:"iat"`
	Jti      string `json:"jti"`
	ClientID string `json:"client_id"`
}

// issueRefreshTokenLocked makes, stores and returns a refresh token for a
// grant: a JWT (HS256 with a server-side random key) whose exp says when
// it dies. A confidential client's lifetime counts from the first refresh
// token of the authorization; a public client's from this one.
func (s *Server) issueRefreshTokenLocked(g *authGrant, c *AuthCodeClient, now time.Time) string {
	st := &s.oauth.authcode
	if st.hmacKey == nil {
		st.hmacKey = make([]byte, 32)
		rand.Read(st.hmacKey)
	}
	if st.refresh == nil {
		st.refresh = make(map[string]*refreshToken)
	}
	expiry := now.Add(c.RefreshTokenLifetime)
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload, _ := json.Marshal(refreshClaims{Exp: expiry.Unix(), Iat: now.Unix(), Jti: randomToken(), ClientID: c.ClientID})
	input := header + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, st.hmacKey)
	mac.Write([]byte(input))
	tok := input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	st.refresh[tok] = &refreshToken{grant: g, issued: now, expiry: expiry}
	g.refreshTokens = append(g.refreshTokens, tok)
	return tok
}

// ---- revoke endpoint ----

// serveRevoke answers POST /services/rest/auth/oauth2/v1/revoke (RFC 7009):
// form token=… (token_type_hint is accepted and ignored: both kinds are
// looked up), client authentication as at the token endpoint. Revoking a
// refresh token kills its authorization: every refresh and access token
// issued from it. Revoking an access token kills that token only. An
// unknown token is answered 200 as well; a token of another client is
// refused with invalid_grant and left alone.
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request, rec *Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if terr := s.revoke(r, rec); terr != nil {
		rec.Reject = terr.reason
		s.writeTokenError(w, terr)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) revoke(r *http.Request, rec *Request) *tokenError {
	if r.Method != http.MethodPost {
		return badRequest("invalid_request", "The revoke endpoint accepts POST only.", "revoke: method "+r.Method+" is not POST")
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
		return badRequest("invalid_request", "The request body must be application/x-www-form-urlencoded.",
			fmt.Sprintf("revoke: Content-Type %q is not application/x-www-form-urlencoded", ct))
	}
	form, err := url.ParseQuery(string(rec.Body))
	if err != nil {
		return badRequest("invalid_request", "The request body is not valid form encoding.", "revoke: form body: "+err.Error())
	}
	for name, vs := range form {
		if len(vs) > 1 {
			return badRequest("invalid_request", "Parameter "+name+" is repeated.", "revoke: parameter "+name+" appears more than once")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	client, terr := s.authenticateClientLocked(r, form)
	if terr != nil {
		terr.reason = "revoke: " + terr.reason
		return terr
	}
	tok := form.Get("token")
	if tok == "" {
		return badRequest("invalid_request", "token is missing.", "revoke: no token")
	}
	rec.Token = tok
	if rt, ok := s.oauth.authcode.refresh[tok]; ok {
		if rt.grant.clientID != client.ClientID {
			return badRequest("invalid_grant", "The token was not issued to this client.",
				fmt.Sprintf("revoke: the refresh token belongs to client %q, not %q", rt.grant.clientID, client.ClientID))
		}
		rt.dead = true
		s.revokeGrantLocked(rt.grant)
		return nil
	}
	if it, ok := s.oauth.tokens[tok]; ok {
		if it.clientID != client.ClientID {
			return badRequest("invalid_grant", "The token was not issued to this client.",
				fmt.Sprintf("revoke: the access token belongs to client %q, not %q", it.clientID, client.ClientID))
		}
		it.revoked = true
	}
	return nil // an unknown token is answered 200 too (RFC 7009 §2.2)
}
