package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/netsuitetest"
)

// report collects the demo's checks.
type report struct {
	w              io.Writer
	passed, failed int
}

func (r *report) section(title string) { fmt.Fprintf(r.w, "\n%s\n", title) }

// ok records a check that should have succeeded.
func (r *report) ok(what string, err error, detail string) {
	if err != nil {
		r.failed++
		fmt.Fprintf(r.w, "  [FAILED] %s\n%s\n", what, indent(err.Error(), "           "))
		return
	}
	r.passed++
	fmt.Fprintf(r.w, "  [ok]     %s\n", what)
	if detail != "" {
		fmt.Fprintln(r.w, indent(detail, "           "))
	}
}

// refused records a check that should have failed, showing the error a
// user would see.
func (r *report) refused(what string, err error, want func(error) bool) {
	if err == nil || !want(err) {
		r.failed++
		fmt.Fprintf(r.w, "  [FAILED] %s: expected a refusal, got %v\n", what, err)
		return
	}
	r.passed++
	msg := strings.Replace(err.Error(), "; hint: ", "\n  hint: ", 1)
	fmt.Fprintf(r.w, "  [ok]     %s, and the error says why:\n%s\n", what, indent(msg, "           "))
}

func runDemo(ctx context.Context, env *environment, args []string) int {
	fs := newFlagSet(env, "demo", "",
		"Starts a fake NetSuite (package netsuitetest) in this process and runs every authentication\n"+
			"method against it: a health check, a signed request, and a failing case with its error.\n"+
			"Nothing leaves this machine. Exit 0 when every check behaves as expected.")
	if code, stop := parse(fs, args); stop {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	srv := netsuitetest.NewServer()
	defer srv.Close()
	r := &report{w: env.stdout}
	fmt.Fprintf(r.w, "nsauth demo: a fake NetSuite (netsuitetest) runs at %s as account %s (a sandbox).\n",
		srv.URL, srv.AccountID())
	demoTBA(ctx, srv, r)
	demoClientCredentials(ctx, srv, r)
	demoAuthorizationCode(ctx, srv, r)
	fmt.Fprintf(r.w, "\n%d checks passed, %d failed.\n", r.passed, r.failed)
	if r.failed > 0 {
		return 1
	}
	return 0
}

func demoTBA(ctx context.Context, srv *netsuitetest.Server, r *report) {
	r.section("Token-Based Authentication (OAuth 1.0a, HMAC-SHA256)")
	cfg := srv.Config()
	cfg.Auth = srv.TBA()
	conn, err := netsuite.NewConnection(cfg)
	r.ok("NewConnection", err, fmt.Sprintf("realm %s, auth %v", srv.AccountID(), cfg.Auth))
	if err != nil {
		return
	}
	defer conn.Close()
	r.ok("TestConnection: GET /services/rest/record/v1/metadata-catalog", conn.TestConnection(ctx), "")
	body, err := get(ctx, conn, "/services/rest/record/v1/customer/107")
	r.ok("GET /services/rest/record/v1/customer/107", err, body)

	bad := srv.TBA()
	bad.TokenSecret = "not-the-token-secret"
	cfg.Auth = bad
	wrong, err := netsuite.NewConnection(cfg)
	if err != nil {
		r.ok("NewConnection with a wrong token secret", err, "")
		return
	}
	defer wrong.Close()
	r.refused("a wrong token secret is refused", wrong.TestConnection(ctx), netsuite.IsAuthFailure)
}

func demoClientCredentials(ctx context.Context, srv *netsuitetest.Server, r *report) {
	r.section("OAuth 2.0 client credentials (machine to machine: a JWT assertion signed with the certificate's key)")
	cfg := srv.Config()
	cc := srv.ClientCredentials()
	cfg.Auth = cc
	conn, err := netsuite.NewConnection(cfg)
	r.ok("NewConnection", err, fmt.Sprintf("auth %v", cc))
	if err != nil {
		return
	}
	defer conn.Close()
	r.ok("TestConnection: token request, then GET /services/rest/record/v1/metadata-catalog", conn.TestConnection(ctx), "")
	body, err := get(ctx, conn, "/services/rest/record/v1/customer/107")
	r.ok("GET /services/rest/record/v1/customer/107 with the cached token", err,
		fmt.Sprintf("%s\ntoken requests so far: %d (the token is cached and refreshed before it expires)", body, srv.TokenRequests()))

	cc.CertificateID = "not-the-certificate-id"
	cfg.Auth = cc
	wrong, err := netsuite.NewConnection(cfg)
	if err != nil {
		r.ok("NewConnection with a wrong certificate ID", err, "")
		return
	}
	defer wrong.Close()
	r.refused("a wrong certificate ID is refused by the token endpoint", wrong.TestConnection(ctx), netsuite.IsAuthFailure)
}

func demoAuthorizationCode(ctx context.Context, srv *netsuitetest.Server, r *report) {
	r.section("OAuth 2.0 authorization code (browser login with PKCE, refresh, token file)")
	dir, err := os.MkdirTemp("", "nsauth-demo-")
	if err != nil {
		r.ok("temporary directory for the token file", err, "")
		return
	}
	defer os.RemoveAll(dir)
	cfg := srv.Config()
	ac := srv.AuthorizationCode()
	ac.Store = netsuite.NewFileStore(filepath.Join(dir, "tokens.json"))
	cfg.Auth = ac
	conn, err := netsuite.NewConnection(cfg)
	r.ok("NewConnection", err, fmt.Sprintf("auth %v", ac))
	if err != nil {
		return
	}
	defer conn.Close()
	// The demo plays the browser: it opens the authorization URL and
	// follows NetSuite's redirect to the loopback callback.
	browser := func(ctx context.Context, u string) error {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	auth, err := conn.Generate(ctx, netsuite.GenerateOptions{OpenBrowser: browser, Timeout: 10 * time.Second})
	if err != nil {
		r.ok("Generate: browser login, callback on 127.0.0.1, code exchanged", err, "")
		return
	}
	r.ok("Generate: browser login, callback on 127.0.0.1, code exchanged", nil,
		fmt.Sprintf("logged in to %s as role %s; tokens saved to a 0600 file", auth.Company, auth.Role))
	body, err := get(ctx, conn, "/services/rest/record/v1/customer/107")
	r.ok("GET /services/rest/record/v1/customer/107", err, body)

	srv.RevokeAccessToken(auth.Token.AccessToken) // NetSuite ends the access token early
	_, err = get(ctx, conn, "/services/rest/record/v1/customer/107")
	r.ok("the access token dies: the next request refreshes it by itself", err,
		fmt.Sprintf("refresh grants: %d", srv.Grants()["refresh_token"]))

	err = conn.Revoke(ctx)
	r.ok("Revoke: refresh token revoked, token file removed", err, "")
	r.refused("after Revoke, requests fail until someone logs in again", conn.TestConnection(ctx),
		func(err error) bool { return errors.Is(err, netsuite.ErrReauthorize) })
}

// get sends a GET through conn and returns the body, shortened.
func get(ctx context.Context, conn *netsuite.Connection, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, conn.BaseURL()+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := conn.Client().Do(req)
	if err != nil {
		return "", err
	}
	if err := netsuite.CheckResponse(resp); err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return resp.Status + " " + s, nil
}
