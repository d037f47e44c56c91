package netsuitetest

// The OAuth 2.0 token endpoint and bearer-token validation.
//
// Token endpoint errors are RFC 6749 §5.2 JSON documents
// {"error": …, "error_description": …}, with status 400 (RFC 6749 allows
// 401 for invalid_client; it is required only when the client
// authenticated with the Authorization header, which a client-credentials
// request never does, so 400 is used for every client-credentials code).
// The exceptions: invalid_client of the authorization code and refresh
// token grants (and the revoke endpoint), whose clients authenticate with
// HTTP Basic, is 401 with WWW-Authenticate: Basic (authcode.go); and a JWS
// alg outside PS256/384/512 and ES256/384/512, which NetSuite answers 500
// {"error":"server_error"} with no description, and so does this fake. The
// error_description is short; the precise reason is in Request.Reject.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/internal/keys"
)

// TokenPath is the path of NetSuite's OAuth 2.0 token endpoint.
const TokenPath = "/services/rest/auth/oauth2/v1/token"

// DefaultAccessTokenLifetime is the lifetime of the access tokens the
// server issues unless SetAccessTokenLifetime says otherwise (NetSuite: 60
// minutes).
const DefaultAccessTokenLifetime = 60 * time.Minute

const (
	grantClientCredentials = "client_credentials"
	assertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

	// maxAssertionLifetime bounds exp - iat, strictly.
	maxAssertionLifetime = 3600 // seconds
	// iatLeeway is how far in the future of the server clock iat may be.
	iatLeeway = 60 // seconds
)

// M2MClient is a registered client-credentials mapping: (integration client
// ID, certificate ID) → certificate.
type M2MClient struct {
	// ClientID is the integration record's client ID: the assertion's iss.
	ClientID string
	// CertificateID is the ID NetSuite gives the mapping: the assertion's kid.
	CertificateID string
	// Certificate is the uploaded certificate; its public key verifies
	// assertions and its validity period is checked against the server
	// clock. The fake does not enforce NetSuite's upload rules (RSA 3072+
	// bits, at most two years): tests may register what they need.
	Certificate *x509.Certificate
	// Scopes are the scopes enabled on the integration; default
	// rest_webservices.
	Scopes []string
}

// issuedToken is one access token the server issued, whatever the grant.
type issuedToken struct {
	expiry   time.Time
	clientID string
	scopes   []string
	grant    string
	revoked  bool
}

// jtiKey identifies a used assertion.
type jtiKey struct{ clientID, jti string }

// oauth2State is the server's OAuth 2.0 state, guarded by Server.mu.
type oauth2State struct {
	m2m             map[string]M2MClient // by certificate ID
	defaultM2M      *netsuite.ClientCredentials
	tokens          map[string]*issuedToken // by access token
	jtis            map[jtiKey]time.Time    // used jti → the assertion's exp
	lifetime        time.Duration           // 0: DefaultAccessTokenLifetime
	expiresInNumber bool
	tokenRequests   int
	grants          map[string]int // access tokens issued per grant type
	authcode        authCodeState  // authorization code clients, codes, refresh tokens (authcode.go)
}

// AddM2M registers a client-credentials mapping. A mapping with the same
// CertificateID is replaced. It panics when ClientID, CertificateID or
// Certificate is missing, as httptest does on setup errors.
func (s *Server) AddM2M(c M2MClient) {
	if c.ClientID == "" || c.CertificateID == "" || c.Certificate == nil {
		panic("netsuitetest: AddM2M needs ClientID, CertificateID and Certificate")
	}
	c.Scopes = slices.Clone(c.Scopes)
	if len(c.Scopes) == 0 {
		c.Scopes = []string{netsuite.ScopeRESTWebServices}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addM2MLocked(c)
}

func (s *Server) addM2MLocked(c M2MClient) {
	if s.oauth.m2m == nil {
		s.oauth.m2m = make(map[string]M2MClient)
	}
	s.oauth.m2m[c.CertificateID] = c
}

// ClientCredentials returns a netsuite.ClientCredentials the server
// accepts: ClientID, CertificateID, Key and Certificate are set, TokenURL
// is left empty (the client derives it from the Connection's Base URL).
// The mapping behind it is made on the first call: a fresh EC P-256 key
// (RSA 3072 generation is slow) and a self-signed certificate valid from an
// hour before the server clock to a year after it, with the scopes
// rest_webservices and restlets enabled. Later calls return the same
// credentials.
func (s *Server) ClientCredentials() netsuite.ClientCredentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oauth.defaultM2M == nil {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		now := s.now()
		cert, err := keys.SelfSign(key, "netsuitetest M2M", now.Add(-time.Hour), now.AddDate(1, 0, 0))
		if err != nil {
			panic(err)
		}
		c := M2MClient{
			ClientID:      randomHex(32),
			CertificateID: randomToken(),
			Certificate:   cert,
			Scopes:        []string{netsuite.ScopeRESTWebServices, netsuite.ScopeRESTlets},
		}
		s.addM2MLocked(c)
		s.oauth.defaultM2M = &netsuite.ClientCredentials{
			ClientID: c.ClientID, CertificateID: c.CertificateID, Key: key, Certificate: cert,
		}
	}
	return *s.oauth.defaultM2M
}

// randomToken returns 32 random bytes, base64url: 43 characters.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TokenURL returns the server's token endpoint: s.URL + TokenPath. An
// assertion's aud must be this URL (more exactly: the URL the request is
// sent to, as the server receives it).
func (s *Server) TokenURL() string { return s.URL + TokenPath }

// SetAccessTokenLifetime sets the lifetime of access tokens issued from now
// on (default DefaultAccessTokenLifetime). expires_in follows it.
func (s *Server) SetAccessTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.lifetime = d
}

// SetExpiresInNumber makes token responses carry expires_in as a JSON
// number (3600) instead of a JSON string ("3600"), which is what NetSuite
// sends and the default.
func (s *Server) SetExpiresInNumber(number bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.expiresInNumber = number
}

// TokenRequests returns how many requests reached the token endpoint (any
// grant, successful or not). Requests answered by an injected Fault never
// reach it and are not counted (they are in Requests).
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.oauth.tokenRequests
}

// RevokeAccessToken makes an issued access token invalid immediately (to
// test 401 recovery).
func (s *Server) RevokeAccessToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.oauth.tokens[token]; ok {
		t.revoked = true
	}
}

// tokenError is an RFC 6749 §5.2 error answer; reason is for Request.Reject.
type tokenError struct {
	status      int
	code        string
	description string
	reason      string
}

func badRequest(code, description, reason string) *tokenError {
	return &tokenError{status: http.StatusBadRequest, code: code, description: description, reason: reason}
}

// serverError is NetSuite's opaque answer to an assertion signed with an
// algorithm it does not accept.
func serverError(reason string) *tokenError {
	return &tokenError{status: http.StatusInternalServerError, code: "server_error", reason: reason}
}

// tokenResponse is a successful token answer.
type tokenResponse struct {
	accessToken  string
	refreshToken string // empty: none (client credentials)
	lifetime     time.Duration
}

// grantHandler handles one grant_type at the token endpoint, after the
// checks common to every grant.
type grantHandler func(s *Server, r *http.Request, form url.Values, rec *Request) (*tokenResponse, *tokenError)

// grantHandlers dispatches on grant_type.
var grantHandlers = map[string]grantHandler{
	grantClientCredentials: (*Server).clientCredentialsGrant,
	grantAuthorizationCode: (*Server).authorizationCodeGrant, // authcode.go
	grantRefreshToken:      (*Server).refreshTokenGrant,      // authcode.go
}

// serveToken answers POST /services/rest/auth/oauth2/v1/token. It runs
// before (and instead of) REST authentication.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, rec *Request) {
	s.mu.Lock()
	s.oauth.tokenRequests++
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	resp, terr := s.token(r, rec)
	if terr != nil {
		rec.Reject = terr.reason
		s.writeTokenError(w, terr)
		return
	}
	rec.Token = resp.accessToken
	s.mu.Lock()
	numeric := s.oauth.expiresInNumber
	s.mu.Unlock()
	secs := int64(resp.lifetime / time.Second)
	out := map[string]any{"access_token": resp.accessToken, "token_type": "bearer", "expires_in": strconv.FormatInt(secs, 10)}
	if numeric {
		out["expires_in"] = secs
	}
	if resp.refreshToken != "" {
		out["refresh_token"] = resp.refreshToken
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

// writeTokenError answers an RFC 6749 §5.2 error; a 401 carries a Basic
// challenge (RFC 6749 §5.2, invalid_client).
func (s *Server) writeTokenError(w http.ResponseWriter, terr *tokenError) {
	if terr.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Basic realm="%s"`, s.account.Realm()))
	}
	body := map[string]string{"error": terr.code}
	if terr.description != "" {
		body["error_description"] = terr.description
	}
	writeJSON(w, terr.status, "application/json", body)
}

// token runs the checks common to every grant, then the grant's handler.
func (s *Server) token(r *http.Request, rec *Request) (*tokenResponse, *tokenError) {
	if r.Method != http.MethodPost {
		return nil, badRequest("invalid_request", "The token endpoint accepts POST only.", "method "+r.Method+" is not POST")
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, badRequest("invalid_request", "The request body must be application/x-www-form-urlencoded.",
			fmt.Sprintf("Content-Type %q is not application/x-www-form-urlencoded", ct))
	}
	form, err := url.ParseQuery(string(rec.Body))
	if err != nil {
		return nil, badRequest("invalid_request", "The request body is not valid form encoding.", "form body: "+err.Error())
	}
	for name, vs := range form {
		if len(vs) > 1 {
			return nil, badRequest("invalid_request", "Parameter "+name+" is repeated.",
				"parameter "+name+" appears more than once (RFC 6749 §3.2)")
		}
	}
	grant := form.Get("grant_type")
	rec.Grant = grant
	if grant == "" {
		return nil, badRequest("invalid_request", "grant_type is missing.", "no grant_type")
	}
	h, ok := grantHandlers[grant]
	if !ok {
		return nil, badRequest("unsupported_grant_type", "The grant type is not supported.",
			fmt.Sprintf("grant_type %q is not supported by this fake", grant))
	}
	return h(s, r, form, rec)
}

// clientCredentialsGrant checks a client-credentials request and its JWT
// assertion, in this order: client authentication methods, assertion type,
// assertion present; JWS form, typ, kid, alg, signature; iss, aud, scope,
// iat, exp, jti; certificate validity.
func (s *Server) clientCredentialsGrant(r *http.Request, form url.Values, rec *Request) (*tokenResponse, *tokenError) {
	now := s.Now()
	if r.Header.Get("Authorization") != "" || form.Has("client_secret") {
		return nil, badRequest("invalid_request", "The request uses several client authentication methods.",
			"client assertion sent together with an Authorization header or client_secret")
	}
	switch at := form.Get("client_assertion_type"); at {
	case assertionTypeJWTBearer:
	case "":
		return nil, badRequest("invalid_request", "client_assertion_type is missing.", "no client_assertion_type")
	default:
		return nil, badRequest("invalid_request", "client_assertion_type is not supported.",
			fmt.Sprintf("client_assertion_type %q is not %s", at, assertionTypeJWTBearer))
	}
	assertion := form.Get("client_assertion")
	if assertion == "" {
		return nil, badRequest("invalid_request", "client_assertion is missing.", "no client_assertion")
	}

	invalidClient := func(reason string) *tokenError {
		return badRequest("invalid_client", "The client assertion is invalid.", reason)
	}
	jws, err := parseCompactJWS(assertion)
	if err != nil {
		return nil, invalidClient("client_assertion: " + err.Error())
	}
	rec.Kid = jws.kid
	if jws.hasTyp && jws.typ != "JWT" {
		return nil, invalidClient(fmt.Sprintf("JWS header typ %q is not JWT", jws.typ))
	}
	if jws.kid == "" {
		return nil, invalidClient("JWS header has no kid (the certificate ID)")
	}
	s.mu.Lock()
	m, ok := s.oauth.m2m[jws.kid]
	s.mu.Unlock()
	if !ok {
		return nil, invalidClient(fmt.Sprintf("kid %q is not a registered certificate ID", jws.kid))
	}
	if err := jws.verify(m.Certificate.PublicKey); err != nil {
		if errors.Is(err, errUnsupportedAlgorithm) {
			return nil, serverError(fmt.Sprintf("JWS alg %q is not accepted (PS256/384/512, ES256/384/512 only); NetSuite answers an opaque 500", jws.alg))
		}
		return nil, invalidClient(err.Error())
	}

	claims, err := parseJSONObject(jws.payload)
	if err != nil {
		return nil, invalidClient("JWT claims: " + err.Error())
	}
	if jti, _, err := stringMember(claims, "jti"); err == nil {
		rec.AssertionJTI = jti
	}
	iss, _, err := stringMember(claims, "iss")
	if err != nil || iss != m.ClientID {
		return nil, invalidClient(fmt.Sprintf("iss %s is not the client ID of certificate %q", claimText(claims, "iss"), jws.kid))
	}
	want := tokenURLReceived(r)
	if aud, err := audience(claims); err != nil || aud != want {
		return nil, invalidClient(fmt.Sprintf("aud %s is not the token URL as received, %q", claimText(claims, "aud"), want))
	}
	scopes, err := scopeClaim(claims)
	if err != nil {
		return nil, badRequest("invalid_scope", "The scope claim is missing or invalid.", err.Error())
	}
	for _, sc := range scopes {
		if !slices.Contains(m.Scopes, sc) {
			return nil, badRequest("invalid_scope", "A requested scope is invalid or not enabled.",
				fmt.Sprintf("scope %q is not enabled for client %q (enabled: %s)", sc, m.ClientID, strings.Join(m.Scopes, ", ")))
		}
	}
	nowSecs := float64(now.UnixNano()) / 1e9
	iat, err := numericDate(claims, "iat")
	if err != nil {
		return nil, badRequest("invalid_grant", "The assertion's iat is missing or invalid.", err.Error())
	}
	if iat-nowSecs > iatLeeway {
		return nil, badRequest("invalid_grant", "The assertion's iat is in the future.",
			fmt.Sprintf("iat is %.0fs ahead of the server clock (at most %ds)", iat-nowSecs, iatLeeway))
	}
	exp, err := numericDate(claims, "exp")
	if err != nil {
		return nil, badRequest("invalid_grant", "The assertion's exp is missing or invalid.", err.Error())
	}
	if exp <= nowSecs {
		return nil, badRequest("invalid_grant", "The assertion has expired.",
			fmt.Sprintf("exp is %.0fs before the server clock", nowSecs-exp))
	}
	if exp <= iat {
		return nil, badRequest("invalid_grant", "The assertion's exp is not after its iat.", "exp <= iat")
	}
	if exp-iat >= maxAssertionLifetime {
		return nil, badRequest("invalid_grant", "The assertion's lifetime (exp - iat) must be less than 60 minutes.",
			fmt.Sprintf("exp - iat = %.0fs; it must be less than %ds", exp-iat, maxAssertionLifetime))
	}
	jti, _, err := stringMember(claims, "jti")
	if err != nil || jti == "" {
		return nil, badRequest("invalid_grant", "The assertion's jti is missing or invalid.", "no jti string claim")
	}
	if !s.useJTI(jtiKey{m.ClientID, jti}, exp, now) {
		return nil, badRequest("invalid_grant", "The assertion has already been used.",
			fmt.Sprintf("jti %q already used by client %q: sign a new assertion for every token request", jti, m.ClientID))
	}
	if now.Before(m.Certificate.NotBefore) || now.After(m.Certificate.NotAfter) {
		return nil, badRequest("invalid_grant", "The certificate is not valid now.",
			fmt.Sprintf("certificate %q is valid %s to %s; server clock %s", jws.kid,
				m.Certificate.NotBefore.UTC().Format(time.RFC3339), m.Certificate.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
	}
	tok, lifetime := s.issueToken(m.ClientID, scopes, grantClientCredentials, now)
	return &tokenResponse{accessToken: tok, lifetime: lifetime}, nil
}

// issueToken stores and returns a new opaque access token (43 characters,
// base64url) and its lifetime.
func (s *Server) issueToken(clientID string, scopes []string, grant string, now time.Time) (string, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueTokenLocked(clientID, scopes, grant, now)
}

// issueTokenLocked is issueToken with s.mu held. It counts the token in
// Grants.
func (s *Server) issueTokenLocked(clientID string, scopes []string, grant string, now time.Time) (string, time.Duration) {
	tok := randomToken()
	lifetime := s.oauth.lifetime
	if lifetime <= 0 {
		lifetime = DefaultAccessTokenLifetime
	}
	if s.oauth.tokens == nil {
		s.oauth.tokens = make(map[string]*issuedToken)
	}
	s.oauth.tokens[tok] = &issuedToken{expiry: now.Add(lifetime), clientID: clientID, scopes: slices.Clone(scopes), grant: grant}
	if s.oauth.grants == nil {
		s.oauth.grants = make(map[string]int)
	}
	s.oauth.grants[grant]++
	return tok, lifetime
}

// useJTI records a jti until the assertion's exp and reports whether it was
// fresh. An assertion is consumed once its signature and times check out,
// even if a later check (the certificate's validity) refuses it.
func (s *Server) useJTI(k jtiKey, exp float64, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oauth.jtis == nil {
		s.oauth.jtis = make(map[jtiKey]time.Time)
	}
	if until, used := s.oauth.jtis[k]; used && now.Before(until) {
		return false
	}
	for old, until := range s.oauth.jtis {
		if !now.Before(until) {
			delete(s.oauth.jtis, old)
		}
	}
	s.oauth.jtis[k] = time.Unix(0, 0).Add(time.Duration(exp * float64(time.Second)))
	return true
}

// tokenURLReceived is the token URL as the request arrived: https when
// TLS, the Host header, the path as sent.
func tokenURLReceived(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + requestPath(r)
}

// audience returns the aud claim: a string, or an array of one string.
func audience(claims map[string]json.RawMessage) (string, error) {
	raw, ok := claims["aud"]
	if !ok || isJSONNull(raw) {
		return "", errors.New("no aud")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var a []string
	if json.Unmarshal(raw, &a) != nil || len(a) != 1 {
		return "", errors.New("aud is neither a string nor an array of one string")
	}
	return a[0], nil
}

// scopeClaim returns the scopes of the scope claim: a string of names
// separated by commas and/or white space, or an array of strings.
func scopeClaim(claims map[string]json.RawMessage) ([]string, error) {
	raw, ok := claims["scope"]
	if !ok || isJSONNull(raw) {
		return nil, errors.New("no scope claim")
	}
	var list []string
	var s string
	if json.Unmarshal(raw, &s) == nil {
		list = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("scope claim %s is neither a string nor an array of strings", raw)
	}
	var out []string
	for _, sc := range list {
		sc = strings.TrimSpace(sc)
		if sc == "" {
			return nil, fmt.Errorf("scope claim %s has an empty scope", raw)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("scope claim %s is empty", raw)
	}
	return out, nil
}

// numericDate returns a NumericDate claim (a JSON number of seconds).
func numericDate(claims map[string]json.RawMessage, name string) (float64, error) {
	raw, ok := claims[name]
	if !ok {
		return 0, errors.New("no " + name + " claim")
	}
	var f float64
	if isJSONNull(raw) || json.Unmarshal(raw, &f) != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%s claim %s is not a number of seconds", name, raw)
	}
	return f, nil
}

// claimText shows a claim for a Reject reason.
func claimText(claims map[string]json.RawMessage, name string) string {
	raw, ok := claims[name]
	if !ok {
		return "(absent)"
	}
	if len(raw) > 200 {
		return string(raw[:200]) + "…"
	}
	return string(raw)
}

// requiredScope is the scope a bearer token needs for a path:
// rest_webservices for REST records and SuiteQL, restlets for RESTlets,
// none for anything else (which is a 404 anyway).
func requiredScope(path string) string {
	switch {
	case strings.HasPrefix(path, "/services/rest/record/"), strings.HasPrefix(path, "/services/rest/query/"):
		return netsuite.ScopeRESTWebServices
	case path == restletPath:
		return netsuite.ScopeRESTlets
	}
	return ""
}

// verifyBearer checks an access token: issued by this server, not revoked,
// not expired by the server clock, and carrying the scope the path needs.
// A missing scope is a 401 INVALID_LOGIN, as NetSuite answers it, not a
// 403. It returns why the token is refused, or "".
func (s *Server) verifyBearer(r *http.Request, header string, rec *Request) string {
	_, tok, _ := strings.Cut(header, " ")
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "empty bearer token"
	}
	rec.Token = tok
	s.mu.Lock()
	now := s.now()
	var t issuedToken
	it, ok := s.oauth.tokens[tok]
	if ok {
		t = *it
	}
	s.mu.Unlock()
	switch {
	case !ok:
		return "unknown access token"
	case t.revoked:
		return "access token revoked"
	case !now.Before(t.expiry):
		return fmt.Sprintf("access token expired at %s (server clock %s)",
			t.expiry.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if need := requiredScope(requestPath(r)); need != "" && !slices.Contains(t.scopes, need) {
		return fmt.Sprintf("access token scopes [%s] lack %s, needed for this path", strings.Join(t.scopes, " "), need)
	}
	return ""
}
