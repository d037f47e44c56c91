package netsuite

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// DefaultGenerateTimeout bounds Generate's wait for the browser.
const DefaultGenerateTimeout = 5 * time.Minute

// GenerateOptions configures Connection.Generate.
type GenerateOptions struct {
	// OpenBrowser opens the authorization URL, e.g. with xdg-open. When nil,
	// or when it fails, the user opens the URL printed to Out.
	OpenBrowser func(ctx context.Context, url string) error
	// Out receives the instructions and the URL. Default: io.Discard.
	Out io.Writer
	// Timeout bounds the wait for the callback. Default:
	// DefaultGenerateTimeout.
	Timeout time.Duration
}

// Authorization is the outcome of Generate: the token (already saved to
// the Store and in use) and who logged in where.
type Authorization struct {
	Token   *oauth2.Token
	Company string // the account ID of the login
	Role    string
	Entity  string
}

// String shows who logged in, never the token.
func (a Authorization) String() string {
	return fmt.Sprintf("netsuite.Authorization{Company:%s Role:%s Entity:%s Token:%s}", a.Company, a.Role, a.Entity, describeToken(a.Token))
}

// Format makes every fmt verb print String.
func (a Authorization) Format(f fmt.State, verb rune) { fmt.Fprint(f, a.String()) }

// LogValue shows who logged in, never the token. Without it, slog's JSON
// handler would marshal the token.
func (a Authorization) LogValue() slog.Value {
	return slog.GroupValue(slog.String("company", a.Company), slog.String("role", a.Role),
		slog.String("entity", a.Entity), slog.String("token", describeToken(a.Token)))
}

// Generate runs the whole authorization-code flow for a local user, like an
// integration platform's Generate button: it listens on the loopback
// address of AuthorizationCode.RedirectURL (port 0: a free port), prints
// (and, with OpenBrowser, opens) the authorization URL, waits for exactly
// one callback that carries the right state (others are answered and
// ignored), shows a plain result page in the browser, exchanges the code,
// and saves the token. The listener is closed on every path. ctx and
// Timeout end the wait.
func (c *Connection) Generate(ctx context.Context, opts GenerateOptions) (*Authorization, error) {
	a, err := c.authCode()
	if err != nil {
		return nil, err
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultGenerateTimeout
	}
	redirect, err := url.Parse(a.cfg.RedirectURL)
	if err != nil || redirect.Scheme != "http" || !isLoopback(redirect.Hostname()) {
		return nil, &ConfigError{Field: "AuthorizationCode.RedirectURL", Problem: quoteInput(a.cfg.RedirectURL) + ": Generate receives the callback on this machine",
			Accepted: "a loopback http:// URL registered on the integration record, e.g. http://127.0.0.1:8765/callback"}
	}
	ln, err := listenLoopback(redirect)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	if redirect.Port() == "0" {
		redirect.Host = net.JoinHostPort(redirect.Hostname(), fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
	}
	req, err := a.authRequest("", redirect.String())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	cb := &callbackServer{a: a, ctx: ctx, req: req, redirect: redirect.String(), path: redirect.EscapedPath(), done: make(chan struct{})}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer func() {
		// Let the result page reach the browser, then close the listener.
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(shutdown) != nil {
			srv.Close()
		}
	}()

	fmt.Fprintf(opts.Out, "Open this URL in a browser and log in to NetSuite:\n\n  %s\n\nWaiting for NetSuite to redirect to %s (for %s) ...\n",
		req.URL, redirect, opts.Timeout)
	if opts.OpenBrowser != nil {
		if err := opts.OpenBrowser(ctx, req.URL); err != nil {
			fmt.Fprintf(opts.Out, "(could not open a browser: %v; open the URL yourself)\n", err)
		}
	}
	select {
	case <-cb.done:
		return cb.result, cb.err
	case <-ctx.Done():
		return nil, fmt.Errorf("netsuite: no authorization arrived at %s: %w", redirect, context.Cause(ctx))
	}
}

// listenLoopback listens on the redirect URL's loopback address.
func listenLoopback(u *url.URL) (net.Listener, error) {
	host := u.Hostname()
	if host == "localhost" {
		host = "127.0.0.1"
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("netsuite: cannot listen for the callback on %s (another program on that port?): %w", u.Host, err)
	}
	return ln, nil
}

// callbackServer answers the browser's redirect.
type callbackServer struct {
	a        *authCode
	ctx      context.Context
	req      *AuthRequest
	redirect string
	path     string

	taken  atomic.Bool // a callback with the right state is being handled
	once   sync.Once
	done   chan struct{}
	result *Authorization
	err    error
}

func (s *callbackServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.EscapedPath() != s.path {
		http.NotFound(w, r)
		return
	}
	cb, err := ParseCallback(r.URL.Query(), s.req.State)
	if errors.Is(err, ErrStateMismatch) {
		page(w, http.StatusBadRequest, "This is not the answer to the current login request, so it was ignored. "+
			"Use the URL the program printed last.")
		return
	}
	if !s.taken.CompareAndSwap(false, true) {
		page(w, http.StatusConflict, "This authorization is already being completed. You can close this window.")
		return
	}
	var auth *Authorization
	if err == nil {
		var tok *oauth2.Token
		if tok, err = s.a.exchange(s.ctx, cb.Code, s.req.Verifier, s.redirect); err == nil {
			auth = &Authorization{Token: tok, Company: cb.Company, Role: cb.Role, Entity: cb.Entity}
		}
	}
	if err != nil {
		page(w, http.StatusBadRequest, "NetSuite authorization failed: "+err.Error())
	} else {
		page(w, http.StatusOK, "NetSuite authorization complete: you can close this window.")
	}
	s.once.Do(func() {
		s.result, s.err = auth, err
		close(s.done)
	})
}

// page writes a plain HTML page.
func page(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>nsauth</title><p style=\"font:16px sans-serif;margin:3em\">%s</p>\n", html.EscapeString(msg))
}
