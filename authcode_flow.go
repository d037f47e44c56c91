package netsuite

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// The three legs of the authorization-code flow, for web applications that
// own their callback handler. Generate runs all three for a local user.

// minStateLen is the shortest state accepted from a caller.
const minStateLen = 24

// AuthRequest is one authorization request: send the user to URL, keep
// State and Verifier (server-side, e.g. in the session) for the callback.
type AuthRequest struct {
	URL      string
	State    string
	Verifier string // PKCE code verifier: a secret, never put it in the URL or a log
}

// String shows the URL and state, never the verifier.
func (r AuthRequest) String() string {
	return fmt.Sprintf("netsuite.AuthRequest{URL:%s State:%s Verifier:%s}", r.URL, r.State, mask(r.Verifier))
}

// Format makes every fmt verb print String.
func (r AuthRequest) Format(f fmt.State, verb rune) { fmt.Fprint(f, r.String()) }

// LogValue shows the URL and state, never the verifier. Without it, slog's
// JSON handler would marshal every field.
func (r AuthRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", r.URL), slog.String("state", r.State), slog.String("verifier", mask(r.Verifier)))
}

// authCoder is implemented by the authorization-code authenticator.
func (c *Connection) authCode() (*authCode, error) {
	if c.state.closed.Load() {
		return nil, ErrClosed
	}
	a, ok := c.auth.(*authCode)
	if !ok {
		return nil, ErrNotAuthorizationCode
	}
	return a, nil
}

// AuthCodeURL starts an authorization: it returns the URL of NetSuite's
// authorization page with a state and a PKCE S256 challenge (always). An
// empty state gets 32 random bytes; a caller-supplied state must have at
// least 24 characters.
func (c *Connection) AuthCodeURL(state string) (*AuthRequest, error) {
	a, err := c.authCode()
	if err != nil {
		return nil, err
	}
	return a.authRequest(state, a.cfg.RedirectURL)
}

func (a *authCode) authRequest(state, redirectURL string) (*AuthRequest, error) {
	if redirectURL == "" {
		return nil, &ConfigError{Field: "AuthorizationCode.RedirectURL", Problem: "it is empty",
			Accepted: "the redirect URI of the integration record, byte for byte"}
	}
	switch {
	case state == "":
		b := make([]byte, 32)
		rand.Read(b)
		state = base64.RawURLEncoding.EncodeToString(b)
	case len(state) < minStateLen || len(state) > 1024:
		return nil, fmt.Errorf("netsuite: the state must be 24 to 1024 characters (got %d); pass \"\" to have a random one made", len(state))
	case strings.ContainsFunc(state, func(r rune) bool { return r < 0x21 || r > 0x7e }):
		return nil, errors.New("netsuite: the state may hold only printable ASCII characters, no spaces; pass \"\" to have a random one made")
	}
	verifier := oauth2.GenerateVerifier()
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {a.cfg.ClientID},
		"redirect_uri":          {redirectURL},
		"scope":                 {strings.Join(a.scopes, " ")},
		"state":                 {state},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"},
	}
	for k, v := range a.cfg.AuthParams {
		q[k] = v
	}
	sep := "?"
	if strings.Contains(a.authURL, "?") {
		sep = "&"
	}
	// %20, not +, between scopes: unambiguous for every server.
	u := a.authURL + sep + strings.ReplaceAll(q.Encode(), "+", "%20")
	return &AuthRequest{URL: u, State: state, Verifier: verifier}, nil
}

// Callback is what NetSuite sends to the redirect URI after a successful
// login.
type Callback struct {
	Code    string // the authorization code, valid once for 10 minutes
	State   string
	Company string // the account ID the user logged in to, e.g. 1234567_SB1
	Role    string // the role's internal ID
	Entity  string // the user's internal ID
}

// String shows everything but the code.
func (c Callback) String() string {
	return fmt.Sprintf("netsuite.Callback{Code:%s Company:%s Role:%s Entity:%s}", mask(c.Code), c.Company, c.Role, c.Entity)
}

// Format makes every fmt verb print String.
func (c Callback) Format(f fmt.State, verb rune) { fmt.Fprint(f, c.String()) }

// LogValue shows everything but the code. Without it, slog's JSON handler
// would marshal every field.
func (c Callback) LogValue() slog.Value {
	return slog.GroupValue(slog.String("code", mask(c.Code)), slog.String("company", c.Company),
		slog.String("role", c.Role), slog.String("entity", c.Entity))
}

// Errors of ParseCallback.
var (
	// ErrStateMismatch: the callback's state is not the one sent. It is not
	// the answer to this authorization request (or it was forged).
	ErrStateMismatch = errors.New("netsuite: callback state does not match the authorization request")
	// ErrAccessDenied: the user, or NetSuite, refused the authorization.
	ErrAccessDenied = errors.New("netsuite: authorization refused")
)

// AuthorizationError is an error= answer of the authorization page.
type AuthorizationError struct {
	Code        string // e.g. access_denied, invalid_scope
	Description string
}

// Error implements error.
func (e *AuthorizationError) Error() string {
	msg := "netsuite: authorization refused: " + e.Code
	if e.Description != "" {
		msg += ": " + e.Description
	}
	switch e.Code {
	case "access_denied":
		msg += "; the user declined, or the role cannot use this integration: log in with a role that has it, and allow access"
	case "invalid_scope":
		msg += "; enable the scope on the integration record, or change AuthorizationCode.Scopes"
	case "invalid_request", "unauthorized_client":
		msg += "; check the client ID, the redirect URI (byte for byte) and that the integration has the Authorization Code grant"
	}
	return msg
}

// Is makes errors.Is(err, ErrAccessDenied) true.
func (e *AuthorizationError) Is(target error) bool { return target == ErrAccessDenied }

// ParseCallback reads the redirect URI's query. It checks the state first
// (in constant time) — nothing else is trusted before that —, then turns
// NetSuite's error= into an *AuthorizationError, and returns the code with
// the account (company), role and entity of the login.
func ParseCallback(query url.Values, state string) (*Callback, error) {
	if state == "" {
		return nil, errors.New("netsuite: ParseCallback needs the state of the authorization request")
	}
	if len(query["state"]) > 1 || len(query["code"]) > 1 {
		return nil, fmt.Errorf("%w: the callback repeats its state or code; start the authorization again", ErrStateMismatch)
	}
	got := query.Get("state")
	if subtle.ConstantTimeCompare([]byte(got), []byte(state)) != 1 {
		if got == "" {
			return nil, fmt.Errorf("%w: the callback has no state; start the authorization again", ErrStateMismatch)
		}
		return nil, fmt.Errorf("%w: start the authorization again (an old browser tab, or a forged request?)", ErrStateMismatch)
	}
	if code := query.Get("error"); code != "" {
		return nil, &AuthorizationError{Code: code, Description: query.Get("error_description")}
	}
	cb := &Callback{Code: query.Get("code"), State: got, Company: query.Get("company"),
		Role: query.Get("role"), Entity: query.Get("entity")}
	if cb.Code == "" {
		return nil, errors.New("netsuite: the callback has neither a code nor an error; start the authorization again")
	}
	return cb, nil
}

// Exchange trades an authorization code (and the PKCE verifier of its
// AuthRequest) for tokens, saves them to the Store and puts them in use.
// The redirect URI sent is AuthorizationCode.RedirectURL, byte for byte.
func (c *Connection) Exchange(ctx context.Context, code, verifier string) (*oauth2.Token, error) {
	a, err := c.authCode()
	if err != nil {
		return nil, err
	}
	return a.exchange(ctx, code, verifier, a.cfg.RedirectURL)
}

func (a *authCode) exchange(ctx context.Context, code, verifier, redirectURL string) (*oauth2.Token, error) {
	if code == "" || verifier == "" {
		return nil, errors.New("netsuite: Exchange needs the code from the callback and the verifier from AuthCodeURL")
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURL},
		"code_verifier": {verifier}}
	tok, err := a.tokenCall(a.tokenURL, form).exchange(ctx)
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" {
		a.logger.Warn("netsuite: the token endpoint returned no refresh token; requests will need a new authorization when the access token expires")
	}
	a.noteRefreshToken(tok.RefreshToken, true)
	if err := a.install(ctx, tok); err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.dead, a.revoked = "", false
	a.mu.Unlock()
	a.cache.Set(tok)
	return tok, nil
}

// ErrNothingToRevoke is returned by Revoke when there is no token.
var ErrNothingToRevoke = errors.New("netsuite: nothing to revoke: there is no token")

// Revoke revokes the refresh token (and with it its access tokens) at
// NetSuite's revocation endpoint, then clears the Store and the cache.
// Requests fail with ErrReauthorize afterwards.
func (c *Connection) Revoke(ctx context.Context) error {
	a, err := c.authCode()
	if err != nil {
		return err
	}
	unlock, err := a.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	tok, _, err := a.newest(ctx)
	if err != nil {
		return err
	}
	if tok == nil || (tok.RefreshToken == "" && tok.AccessToken == "") {
		return ErrNothingToRevoke
	}
	token := tok.RefreshToken
	if token == "" {
		token = tok.AccessToken
	}
	if _, err := a.tokenCall(a.revokeURL, url.Values{"token": {token}}).post(ctx); err != nil {
		return err
	}
	if err := a.save(ctx, nil); err != nil {
		return err
	}
	a.mu.Lock()
	a.last, a.unsaved, a.dead, a.revoked = nil, false, token, true
	a.mu.Unlock()
	a.cache.Set(nil)
	return nil
}
