package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/suitekit/netsuite"
)

// DefaultRedirectURL is the redirect URI nsauth login listens on unless
// NETSUITE_REDIRECT_URL says otherwise; register it on the integration.
const defaultRedirectURL = "http://127.0.0.1:8765/callback"

// authCodeFlags are the authorization-code settings.
type authCodeFlags struct {
	clientSecretFile string
	redirectURL      string
	tokenFile        string
}

func (f *authCodeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.clientSecretFile, "client-secret-file", "", "file holding the OAuth 2.0 client secret (env NETSUITE_CLIENT_SECRET or NETSUITE_CLIENT_SECRET_FILE; none for a public client)")
	fs.StringVar(&f.redirectURL, "redirect-url", "", "redirect URI registered on the integration (env NETSUITE_REDIRECT_URL; default "+defaultRedirectURL+")")
	fs.StringVar(&f.tokenFile, "token-file", "", "where tokens are kept (env NETSUITE_TOKEN_FILE; default in the user's config directory)")
}

// authorizationCode builds AuthorizationCode with a FileStore.
func (f *authCodeFlags) authorizationCode(env *environment, clientID, account, scopes string) (netsuite.Authenticator, error) {
	secret, err := secret(env, f.clientSecretFile, "NETSUITE_CLIENT_SECRET")
	if err != nil {
		return nil, err
	}
	if clientID == "" {
		return nil, errors.New("no client: set NETSUITE_CLIENT_ID (and NETSUITE_CLIENT_SECRET unless the integration is a public client)")
	}
	path, err := f.tokenPath(env, account)
	if err != nil {
		return nil, err
	}
	ac := netsuite.AuthorizationCode{
		ClientID:     clientID,
		ClientSecret: secret,
		RedirectURL:  setting(env, f.redirectURL, "NETSUITE_REDIRECT_URL"),
		Scopes:       splitScopes(scopes),
		Store:        netsuite.NewFileStore(path),
	}
	if ac.RedirectURL == "" {
		ac.RedirectURL = defaultRedirectURL
	}
	return ac, nil
}

// tokenPath is NETSUITE_TOKEN_FILE, or <config dir>/nsauth/<account>.json.
func (f *authCodeFlags) tokenPath(env *environment, account string) (string, error) {
	if p := setting(env, f.tokenFile, "NETSUITE_TOKEN_FILE"); p != "" {
		return p, nil
	}
	a, err := netsuite.ParseAccount(account)
	if err != nil {
		return "", errors.New("set NETSUITE_TOKEN_FILE, or NETSUITE_ACCOUNT_ID so that the token file can be named after the account")
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no user config directory (%v): set NETSUITE_TOKEN_FILE", err)
	}
	return filepath.Join(dir, "nsauth", a.ID()+".json"), nil
}

// oauthCommand parses the flags of login, token and revoke and returns an
// OAuth 2.0 Connection: authorization code, or (token only) client
// credentials when the settings say so.
func oauthCommand(env *environment, name, about string, args []string, allowM2M bool, extra func(*flag.FlagSet)) (*netsuite.Connection, *connFlags, int) {
	var f connFlags
	fs := newFlagSet(env, name, "[flags]", about+"\n\n"+envHelp)
	f.register(fs)
	if extra != nil {
		extra(fs)
	}
	if code, stop := parse(fs, args); stop {
		return nil, nil, code
	}
	if !wantArgs(env, fs, 0, "no arguments") {
		return nil, nil, 2
	}
	fs.Visit(func(fl *flag.Flag) { f.timeoutSet = f.timeoutSet || fl.Name == "timeout" })
	kind, err := f.authKind(env)
	switch {
	case err != nil:
	case kind == "tba":
		hasTBA := setting(env, f.consumerKey, "NETSUITE_CONSUMER_KEY") != "" || setting(env, f.tokenID, "NETSUITE_TOKEN_ID") != ""
		if !hasTBA && setting(env, f.auth, "NETSUITE_AUTH") == "" {
			err = errors.New("no OAuth 2.0 client: set NETSUITE_CLIENT_ID (and NETSUITE_CLIENT_SECRET unless the integration is a public client)")
		} else {
			err = fmt.Errorf("nsauth %s is for OAuth 2.0: TBA signs each request and has no token (see 'nsauth help %s')", name, name)
		}
	case kind == "m2m" && !allowM2M:
		err = fmt.Errorf("nsauth %s is for the authorization-code flow; client credentials (M2M) need no login or revocation: a token is minted for every use", name)
	default:
		f.auth = kind
	}
	var cfg netsuite.Config
	if err == nil {
		cfg, err = f.config(env)
	}
	if err == nil {
		var conn *netsuite.Connection
		if conn, err = netsuite.NewConnection(cfg); err == nil {
			return conn, &f, 0
		}
	}
	fmt.Fprintf(env.stderr, "nsauth %s: %v\n", name, cliError(err))
	return nil, nil, 1
}

func runLogin(ctx context.Context, env *environment, args []string) int {
	var noBrowser bool
	conn, f, code := oauthCommand(env, "login",
		"Runs the OAuth 2.0 authorization-code flow, like the Generate button of integration platforms:\n"+
			"opens NetSuite's login page in a browser, receives the redirect on the loopback redirect URI\n"+
			"(register it on the integration record, default "+defaultRedirectURL+"), and saves the tokens\n"+
			"to the token file. From then on test, request and token refresh the access token themselves.",
		args, false, func(fs *flag.FlagSet) {
			fs.BoolVar(&noBrowser, "no-browser", false, "print the URL only; do not open a browser")
		})
	if conn == nil {
		return code
	}
	defer conn.Close()
	if err := checkTokenFile(storePath(f, env)); err != nil { // before the user spends a login on it
		fmt.Fprintln(env.stderr, "nsauth login:", err)
		return 1
	}
	opts := netsuite.GenerateOptions{Out: env.stderr, Timeout: netsuite.DefaultGenerateTimeout}
	if f.timeoutSet {
		opts.Timeout = f.timeout
	}
	if !noBrowser {
		opts.OpenBrowser = env.openBrowser
	}
	auth, err := conn.Generate(ctx, opts)
	if err != nil {
		fmt.Fprintln(env.stderr, "nsauth login:", cliError(err))
		return 1
	}
	fmt.Fprintf(env.stdout, "Logged in to account %s (role %s, entity %s). Tokens saved to %s; the access token is valid until %s.\n",
		auth.Company, auth.Role, auth.Entity, storePath(f, env), auth.Token.Expiry.Format(time.RFC3339))
	if auth.Company != "" && auth.Company != conn.Account().ID() {
		fmt.Fprintf(env.stderr, "warning: you logged in to %s, but NETSUITE_ACCOUNT_ID is %s\n", auth.Company, conn.Account().ID())
	}
	return 0
}

func runToken(ctx context.Context, env *environment, args []string) int {
	conn, _, code := oauthCommand(env, "token",
		"Prints a current OAuth 2.0 access token for use with curl — refreshed when needed\n"+
			"(authorization code), or minted (client credentials):\n"+
			"  curl -H \"Authorization: Bearer $(nsauth token)\" …\n"+
			"The output is a credential: do not paste it where others can read it.", args, true, nil)
	if conn == nil {
		return code
	}
	defer conn.Close()
	tok, err := conn.TokenSource().Token()
	if err != nil {
		fmt.Fprintln(env.stderr, "nsauth token:", err)
		return 1
	}
	fmt.Fprintln(env.stdout, tok.AccessToken)
	return 0
}

func runRevoke(ctx context.Context, env *environment, args []string) int {
	conn, f, code := oauthCommand(env, "revoke",
		"Revokes the refresh token at NetSuite (and with it its access tokens) and removes the token file.", args, false, nil)
	if conn == nil {
		return code
	}
	defer conn.Close()
	err := conn.Revoke(ctx)
	if errors.Is(err, netsuite.ErrNothingToRevoke) {
		fmt.Fprintln(env.stdout, "Nothing to revoke: there is no saved token.")
		return 0
	}
	if err != nil {
		fmt.Fprintln(env.stderr, "nsauth revoke:", err)
		return 1
	}
	fmt.Fprintf(env.stdout, "Revoked; %s removed.\n", storePath(f, env))
	return 0
}

func storePath(f *connFlags, env *environment) string {
	p, _ := f.authCode.tokenPath(env, setting(env, f.account, "NETSUITE_ACCOUNT_ID"))
	return p
}

// checkTokenFile refuses a token path that cannot hold a file.
func checkTokenFile(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("NETSUITE_TOKEN_FILE %s is a directory: give the path of a file, e.g. %s", path, filepath.Join(path, "tokens.json"))
	case err == nil && fi.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("NETSUITE_TOKEN_FILE %s is a symbolic link, which is never followed: give the path of the file itself", path)
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("NETSUITE_TOKEN_FILE %s is not a regular file", path)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("NETSUITE_TOKEN_FILE %s: %w", path, err)
	}
	if dir, err := os.Stat(filepath.Dir(path)); err == nil && !dir.IsDir() {
		return fmt.Errorf("NETSUITE_TOKEN_FILE %s: %s is not a directory", path, filepath.Dir(path))
	}
	return nil
}

// openBrowser opens u in the user's browser.
func openBrowser(ctx context.Context, u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "open", u)
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.CommandContext(ctx, "xdg-open", u)
	}
	return cmd.Start()
}
