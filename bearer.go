package netsuite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"golang.org/x/oauth2"

	"github.com/suitekit/netsuite/internal/tokencache"
)

// bearer authenticates requests with a cached OAuth 2.0 access token. The
// OAuth 2.0 authenticators differ only in how they fetch a token.
type bearer struct {
	cache *tokencache.Cache
	// header caches the Authorization value of the current token so that
	// the hot path does not build the string again.
	header atomic.Pointer[bearerHeader]
}

type bearerHeader struct {
	tok   *oauth2.Token
	value string
}

func newBearer(opts tokencache.Options) *bearer {
	return &bearer{cache: tokencache.New(opts)}
}

// Authenticate sets "Authorization: Bearer <token>" (capital B, whatever
// token_type said), fetching a token first when none is usable.
func (b *bearer) Authenticate(req *http.Request) error {
	tok, err := b.cache.Token(req.Context())
	if err != nil {
		return err
	}
	h := b.header.Load()
	if h == nil || h.tok != tok {
		h = &bearerHeader{tok: tok, value: "Bearer " + tok.AccessToken}
		b.header.Store(h)
	}
	req.Header["Authorization"] = []string{h.value}
	return nil
}

// invalidate drops the token sent with req after NetSuite rejected it with
// a 401, unless a newer token has replaced it already. It reports whether
// sending again with a fresh token is worthwhile.
func (b *bearer) invalidate(req *http.Request) bool {
	sent, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	if b.cache.Invalidate(sent) {
		return true
	}
	cur := b.cache.Peek()
	return cur != nil && cur.AccessToken != sent // a newer token exists: try it
}

// Close stops background refreshes.
func (b *bearer) Close() error { return b.cache.Close() }

// String names the authenticator, never a token. authCode, which embeds
// *bearer, prints the same.
func (b *bearer) String() string { return "netsuite.RequestAuthenticator(OAuth 2.0 bearer)" }

// Format makes every fmt verb print String. Without it, %s and %q reflect
// into the fields: the token cache (a data race while it refreshes) and,
// for authorization code, the settings holding the client secret and the
// initial token.
func (b *bearer) Format(f fmt.State, verb rune) { io.WriteString(f, b.String()) }

// tokenSource returns an oauth2.TokenSource backed by the cache.
func (b *bearer) tokenSource() oauth2.TokenSource { return cacheSource{b.cache} }

type cacheSource struct{ cache *tokencache.Cache }

// String names the source, never a token.
func (s cacheSource) String() string { return "netsuite.TokenSource" }

// Format makes every fmt verb print String, so that fmt never reflects into
// the cache (a data race while it refreshes).
func (s cacheSource) Format(f fmt.State, verb rune) { io.WriteString(f, s.String()) }

// Token returns the cached token, fetching one when needed. It returns a
// copy, so callers may modify it.
func (s cacheSource) Token() (*oauth2.Token, error) {
	tok, err := s.cache.Token(context.Background())
	if err != nil {
		return nil, err
	}
	c := *tok
	return &c, nil
}

// tokenInvalidator is implemented by authenticators whose credential can be
// dropped after a 401 so the next attempt gets a fresh one.
type tokenInvalidator interface {
	invalidate(req *http.Request) bool
}

// tokenSourcer is implemented by authenticators that hold OAuth 2.0 tokens.
type tokenSourcer interface {
	tokenSource() oauth2.TokenSource
}

// errNoTokens is returned by the TokenSource of a Connection whose
// authenticator does not use OAuth 2.0 tokens.
var errNoTokens = errors.New("netsuite: this Connection's authenticator has no OAuth 2.0 tokens (TBA signs each request instead)")

type noTokens struct{}

func (noTokens) Token() (*oauth2.Token, error) { return nil, errNoTokens }
