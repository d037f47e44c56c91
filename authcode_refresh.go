package netsuite

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// authCode is the live authorization-code authenticator: the token cache
// (through bearer) plus refresh, exchange, persistence and revocation.
type authCode struct {
	*bearer
	cfg                          AuthorizationCode
	account                      Account
	authURL, tokenURL, revokeURL string
	scopes                       []string
	client                       *http.Client
	userAgent                    string
	logger                       *slog.Logger

	mu      sync.Mutex
	initial *oauth2.Token // AuthorizationCode.Token, until first used
	last    *oauth2.Token // the newest token this process has obtained or loaded
	unsaved bool          // last could not be saved to the store yet
	dead    string        // a refresh token NetSuite refused with invalid_grant
	revoked bool          // Revoke ran and no authorization followed
	// rt is the current refresh token, first obtained at rtSince (zero when
	// it was loaded, not obtained), and whether its expiry was reported.
	rt       string
	rtSince  time.Time
	rtWarned bool
}

// usableFor is how much validity a stored access token needs to be used
// instead of refreshing.
const usableFor = time.Minute

// fetch is the token cache's fetch: under the store's lock, it takes a
// newer token from the store (another process refreshed) or refreshes,
// and saves the new token before returning it.
func (a *authCode) fetch(ctx context.Context) (*oauth2.Token, error) {
	unlock, err := a.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	newest, fromStore, err := a.newest(ctx)
	if err != nil {
		return nil, err
	}
	if fromStore && newest.AccessToken != "" && (newest.Expiry.IsZero() || time.Until(newest.Expiry) > usableFor) {
		a.remember(newest, false)
		a.noteRefreshToken(newest.RefreshToken, false)
		a.warnIfExpiring()
		return newest, nil
	}
	rt := ""
	if newest != nil {
		rt = newest.RefreshToken
	}
	a.mu.Lock()
	dead, revoked := a.dead, a.revoked
	a.mu.Unlock()
	switch {
	case rt == "" && revoked:
		return nil, reauthorizeError("the tokens were revoked")
	case rt == "":
		return nil, reauthorizeError("there is no token (never authorized, or NetSuite refused the last refresh token): authorize first")
	case rt == dead:
		return nil, reauthorizeError("NetSuite refused the refresh token earlier (invalid_grant)")
	}
	tok, err := a.refresh(ctx, rt)
	if err == nil {
		a.noteRefreshToken(tok.RefreshToken, tok.RefreshToken != rt)
	}
	if err != nil {
		if errors.Is(err, ErrReauthorize) {
			a.mu.Lock()
			a.dead = rt
			a.mu.Unlock()
			a.forgetDead(ctx, rt)
		}
		return nil, err
	}
	return tok, a.install(ctx, tok)
}

// newest returns the newest token known: the store's (or the initial one)
// when it is newer than the one in memory. fromStore says where it came
// from. A token left unsaved by a failed Save is saved first.
func (a *authCode) newest(ctx context.Context) (tok *oauth2.Token, fromStore bool, err error) {
	a.mu.Lock()
	last, unsaved := a.last, a.unsaved
	a.mu.Unlock()
	if unsaved {
		if err := a.save(ctx, last); err != nil {
			return nil, false, err
		}
	}
	var stored *oauth2.Token
	if a.cfg.Store != nil {
		if stored, err = a.cfg.Store.Load(ctx); err != nil {
			return nil, false, wrap(err, "loading the token from the store")
		}
	}
	if stored == nil && last == nil {
		stored = a.takeInitial()
	}
	if stored != nil && (last == nil || stored.Expiry.After(last.Expiry)) {
		return stored, true, nil
	}
	return last, false, nil
}

// refresh spends a refresh token. A response without a refresh token keeps
// the old one; with one (rotation) the new one replaces it.
func (a *authCode) refresh(ctx context.Context, rt string) (*oauth2.Token, error) {
	tok, err := a.tokenCall(a.tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}).exchange(ctx)
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = rt
	}
	return tok, nil
}

// forgetDead removes a refresh token NetSuite refused from a store shared
// between processes, so that no other process sends it again. Only under
// the store's lock, and only when the store still holds that token: a
// newer one saved by another process is kept.
func (a *authCode) forgetDead(ctx context.Context, rt string) {
	if _, ok := a.cfg.Store.(TokenLocker); !ok {
		return
	}
	if stored, err := a.cfg.Store.Load(ctx); err == nil && stored != nil && stored.RefreshToken == rt {
		if err := a.cfg.Store.Save(ctx, nil); err != nil {
			a.logger.Warn("netsuite: could not remove the refused refresh token from the store", "error", err)
		}
	}
}

// install saves a new token and makes it the one in use. A failed save is
// returned; the token is kept in memory and saved on the next attempt, so
// a rotated refresh token is not lost.
func (a *authCode) install(ctx context.Context, tok *oauth2.Token) error {
	if err := a.save(ctx, tok); err != nil {
		a.remember(tok, true)
		return err
	}
	a.remember(tok, false)
	a.warnIfExpiring()
	return nil
}

func (a *authCode) save(ctx context.Context, tok *oauth2.Token) error {
	if a.cfg.Store == nil {
		return nil
	}
	if err := a.cfg.Store.Save(ctx, tok); err != nil {
		return wrap(err, "saving the token to the store (the token is kept in memory and saved again on the next refresh)")
	}
	return nil
}

// takeInitial returns the initial token once.
func (a *authCode) takeInitial() *oauth2.Token {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.initial
	a.initial = nil
	return t
}

func (a *authCode) remember(tok *oauth2.Token, unsaved bool) {
	a.mu.Lock()
	a.last, a.unsaved = tok, unsaved
	a.mu.Unlock()
}

// lock takes the store's inter-process lock, when it has one.
func (a *authCode) lock(ctx context.Context) (func(), error) {
	l, ok := a.cfg.Store.(TokenLocker)
	if !ok {
		return func() {}, nil
	}
	unlock, err := l.Lock(ctx)
	if err != nil {
		return nil, wrap(err, "locking the token store")
	}
	return unlock, nil
}

// tokenCall returns a call with the client's authentication: HTTP Basic
// for confidential clients (and nothing else), client_id in the body for
// public clients. Extra token parameters go to the token endpoint only.
func (a *authCode) tokenCall(endpoint string, form url.Values) *tokenCall {
	if endpoint == a.tokenURL {
		for k, v := range a.cfg.TokenParams {
			form[k] = v
		}
	}
	tc := &tokenCall{client: a.client, endpoint: endpoint, form: form, userAgent: a.userAgent, hint: a.hint}
	if a.cfg.ClientSecret == "" {
		form.Set("client_id", a.cfg.ClientID)
	} else {
		tc.basicUser, tc.basicPassword = a.cfg.ClientID, a.cfg.ClientSecret
	}
	return tc
}

// hint says what to do after a failed token or revoke call.
func (a *authCode) hint(e *TokenError) string {
	switch {
	case e.GrantType == "refresh_token" && e.ErrorCode == "invalid_grant":
		h := "the refresh token is no longer valid (it expired — after 7 days for confidential clients —, " +
			"was revoked, or was already rotated by another process): authorize again with `nsauth login` or Connection.Generate"
		if a.account.IsSandbox() {
			h += "; " + sandboxHint(a.account)
		}
		return h
	case e.GrantType == "authorization_code" && e.ErrorCode == "invalid_grant":
		return "the code was used already, is older than 10 minutes, or the redirect URI or PKCE verifier differ " +
			"from the authorization request; start the authorization again"
	case e.ErrorCode == "invalid_client" || e.StatusCode == http.StatusUnauthorized:
		return "check the client ID and secret of the integration record (a public client has no secret); " +
			"the reason is in the Login Audit Trail (" + loginAuditTrail + ")"
	case e.ErrorCode == "invalid_request":
		return "NetSuite refused the request's form; a confidential client must authenticate with HTTP Basic only"
	}
	return ""
}

// reauthorizeError is an ErrReauthorize with the reason and what to do.
func reauthorizeError(why string) error {
	return fmt.Errorf("%w: %s; run `nsauth login` or Connection.Generate (or Connection.AuthCodeURL and Exchange)",
		ErrReauthorize, why)
}

// noteRefreshToken records when a refresh token was first obtained.
func (a *authCode) noteRefreshToken(rt string, obtained bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if rt == a.rt {
		return
	}
	a.rt, a.rtWarned, a.rtSince = rt, false, time.Time{}
	if obtained {
		a.rtSince = time.Now()
	}
}

// warnIfExpiring reports, once, a refresh token that dies within a day.
func (a *authCode) warnIfExpiring() {
	a.mu.Lock()
	exp := a.refreshExpiryLocked()
	report := !exp.IsZero() && time.Until(exp) < expiringSoon && !a.rtWarned
	if report {
		a.rtWarned = true
	}
	a.mu.Unlock()
	if !report {
		return
	}
	a.logger.Warn("netsuite: the OAuth 2.0 refresh token expires soon; authorize again before then (nsauth login)",
		"expires", exp.UTC().Format(time.RFC3339), "account", a.account.ID())
	if a.cfg.OnRefreshTokenExpiring != nil {
		a.cfg.OnRefreshTokenExpiring(exp)
	}
}

// refreshExpiryLocked returns when the current refresh token dies: its JWT
// exp claim when it has one; else the time it was obtained plus the
// configured (or the confidential default) lifetime; else zero (unknown).
func (a *authCode) refreshExpiryLocked() time.Time {
	if exp, ok := jwtExpiry(a.rt); ok {
		return exp
	}
	lifetime := a.cfg.RefreshTokenLifetime
	if lifetime == 0 && a.cfg.ClientSecret != "" {
		lifetime = confidentialRefreshLifetime
	}
	if lifetime == 0 || a.rtSince.IsZero() {
		return time.Time{}
	}
	return a.rtSince.Add(lifetime)
}

// jwtExpiry reads the exp claim of a JWT-shaped token without verifying it
// (it is only used to warn).
func jwtExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return time.Time{}, false
	}
	sec, err := claims.Exp.Int64()
	if err != nil || sec <= 0 {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}
