package netsuite

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/suitekit/netsuite/internal/tokencache"
)

// AuthorizationCode is OAuth 2.0 authorization code: a user logs in to
// NetSuite in a browser and grants access; the code that comes back is
// exchanged for an access token and a refresh token, which the Connection
// then refreshes by itself until the refresh token dies (7 days for
// confidential clients; a configurable lifetime with rotation for public
// clients).
//
// Get the first token with Connection.Generate (a loopback listener and the
// browser, like an integration platform's Generate button, or `nsauth
// login`), or, in a web application that owns its callback, with
// Connection.AuthCodeURL, ParseCallback and Connection.Exchange. Keep
// tokens across restarts and processes with Store.
//
// AuthorizationCode is plain data; put it in Config.Auth. Its String,
// Format and LogValue methods never show the secret or tokens.
type AuthorizationCode struct {
	// ClientID and ClientSecret come from the integration record. An empty
	// ClientSecret means a public client (PKCE only, refresh tokens rotate).
	ClientID     string
	ClientSecret string

	// AuthURL is the authorization page ("Authorization Token URL").
	// Default: https://<account>.app.netsuite.com/app/login/oauth2/authorize.nl.
	AuthURL string
	// TokenURL is the access token URL. Default: the account's
	// …/services/rest/auth/oauth2/v1/token.
	TokenURL string
	// RevokeURL is the revocation endpoint. Default: the account's
	// …/services/rest/auth/oauth2/v1/revoke.
	RevokeURL string

	// RedirectURL is the integration record's redirect URI, sent byte for
	// byte. For Generate it must be a loopback http:// URL, e.g.
	// http://127.0.0.1:8765/callback; port 0 picks a free port (only where
	// the authorization server accepts any loopback port).
	RedirectURL string

	// Scopes requested. Default: rest_webservices. Sent space-separated.
	Scopes []string

	// AuthParams are extra authorization request parameters, e.g.
	// prompt=login.
	AuthParams url.Values

	// TokenParams are extra token request parameters ("Add Access Token
	// Parameter").
	TokenParams url.Values

	// Token is an initial token, e.g. from a secret manager. A token in
	// Store, when there is one, is newer and wins.
	Token *oauth2.Token

	// Store keeps the token across restarts and between processes: the
	// Connection saves every new token there before using it. NewFileStore
	// is a file; implement TokenStore over a database for many replicas.
	Store TokenStore

	// RefreshTokenLifetime is how long a refresh token lives, for the
	// warning before it dies when the token itself does not say (a JWT exp
	// claim). Default: 7 days for confidential clients, unknown for public
	// ones (set it to the integration record's value).
	RefreshTokenLifetime time.Duration

	// OnRefreshTokenExpiring, if set, is called (besides a log warning)
	// when a token is obtained whose refresh token dies within 24 hours,
	// so that someone can authorize again in time.
	OnRefreshTokenExpiring func(expiry time.Time)
}

// ErrReauthorize means the refresh token is dead (expired, revoked, or spent
// by another process without a shared store): only a new authorization
// (Connection.Generate, `nsauth login`) helps. Requests fail with it until
// then; they do not retry.
var ErrReauthorize = errors.New("netsuite: authorization needed")

// ErrNotAuthorizationCode is returned by the authorization-code methods of
// a Connection whose Config.Auth is not AuthorizationCode.
var ErrNotAuthorizationCode = errors.New("netsuite: the Connection's Config.Auth is not AuthorizationCode")

// confidentialRefreshLifetime is NetSuite's refresh token lifetime for
// confidential clients.
const confidentialRefreshLifetime = 7 * 24 * time.Hour

// expiringSoon is how long before a refresh token dies the warning fires.
const expiringSoon = 24 * time.Hour

// String shows identifiers only, never the secret or tokens.
func (ac AuthorizationCode) String() string {
	return fmt.Sprintf("netsuite.AuthorizationCode{ClientID:%s ClientSecret:%s RedirectURL:%s Token:%s Store:%v}",
		shortID(ac.ClientID), mask(ac.ClientSecret), ac.RedirectURL, describeToken(ac.Token), ac.Store)
}

// Format makes every fmt verb print String.
func (ac AuthorizationCode) Format(f fmt.State, verb rune) { io.WriteString(f, ac.String()) }

// LogValue shows identifiers only.
func (ac AuthorizationCode) LogValue() slog.Value {
	return slog.GroupValue(slog.String("type", "AuthorizationCode"), slog.String("client_id", shortID(ac.ClientID)),
		slog.String("redirect_url", ac.RedirectURL))
}

// describeToken says whether a token is set and until when, never its value.
func describeToken(t *oauth2.Token) string {
	if t == nil {
		return "<nil>"
	}
	s := "[redacted"
	if !t.Expiry.IsZero() {
		s += " until " + t.Expiry.UTC().Format(time.RFC3339)
	}
	if t.RefreshToken != "" {
		s += ", with refresh token"
	}
	return s + "]"
}

var _ Authenticator = AuthorizationCode{}

// checkRedirectURL refuses a redirect URI NetSuite cannot use.
func checkRedirectURL(raw string) error {
	if raw == "" {
		return nil
	}
	bad := func(problem string) error {
		return &ConfigError{Field: "AuthorizationCode.RedirectURL", Problem: quoteInput(raw) + ": " + problem,
			Accepted: "the redirect URI of the integration record, byte for byte, e.g. http://127.0.0.1:8765/callback"}
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == ""):
		return bad("it is not an absolute URL")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("a redirect URI cannot have a fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n > 65535 {
			return bad("the port is not a number from 0 to 65535")
		}
	}
	return nil
}

// Bind validates the settings and returns the live authenticator. It does
// no I/O: the store is read on the first request.
func (ac AuthorizationCode) Bind(b Binding) (RequestAuthenticator, error) {
	if err := checkCredential("AuthorizationCode.ClientID", ac.ClientID); err != nil {
		return nil, err
	}
	if ac.ClientSecret != "" {
		if err := checkCredential("AuthorizationCode.ClientSecret", ac.ClientSecret); err != nil {
			return nil, err
		}
	}
	if fs, ok := ac.Store.(*FileStore); ok && fs != nil {
		fs.setLogger(b.Logger)
	}
	a := &authCode{cfg: ac, logger: b.Logger, client: b.HTTPClient, userAgent: b.UserAgent, account: b.Account,
		initial: ac.Token}
	var err error
	if a.authURL, err = endpointURL("AuthorizationCode.AuthURL", ac.AuthURL, b.AuthorizeURL); err != nil {
		return nil, err
	}
	if a.tokenURL, err = tokenEndpointURL("AuthorizationCode.TokenURL", ac.TokenURL, b.TokenURL, b); err != nil {
		return nil, err
	}
	if a.revokeURL, err = tokenEndpointURL("AuthorizationCode.RevokeURL", ac.RevokeURL, b.RevokeURL, b); err != nil {
		return nil, err
	}
	if err := checkRedirectURL(ac.RedirectURL); err != nil {
		return nil, err
	}
	if a.scopes, err = checkScopes("AuthorizationCode.Scopes", ac.Scopes); err != nil {
		return nil, err
	}
	if _, err = checkTokenParams("AuthorizationCode.TokenParams", ac.TokenParams,
		"grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "client_id", "client_secret"); err != nil {
		return nil, err
	}
	if _, err = checkTokenParams("AuthorizationCode.AuthParams", ac.AuthParams,
		"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"); err != nil {
		return nil, withField(err, "AuthorizationCode.AuthParams")
	}
	if ac.Token != nil && ac.Token.AccessToken == "" && ac.Token.RefreshToken == "" {
		return nil, &ConfigError{Field: "AuthorizationCode.Token", Problem: "it has neither an access token nor a refresh token",
			Accepted: "a token from an earlier authorization, or nil"}
	}
	a.bearer = newBearer(tokencache.Options{
		Fetch: a.fetch,
		OnRefreshError: func(err error) {
			b.Logger.Warn("netsuite: background token refresh failed; the current token is still used", "error", err)
		},
	})
	return a, nil
}
