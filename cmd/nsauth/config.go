package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/suitekit/netsuite"
)

// connFlags are the connection settings shared by test and request. Secret
// values are never flags: they come from the environment or from files.
type connFlags struct {
	account, baseURL     string
	auth                 string
	consumerKey, tokenID string
	consumerSecretFile   string
	tokenSecretFile      string
	m2m                  m2mFlags
	authCode             authCodeFlags
	timeout              time.Duration
	timeoutSet           bool // --timeout was given
}

const envHelp = `Settings (a flag wins over its environment variable; a secret comes from its variable or
from a file, not both):
  NETSUITE_ACCOUNT_ID        --account        account ID, e.g. 1234567_SB1 (or any NetSuite URL)
  NETSUITE_BASE_URL          --base-url       REST base URL; default https://<account>.suitetalk.api.netsuite.com
  NETSUITE_AUTH              --auth           tba, m2m or authcode; default: m2m with a certificate ID,
                                              authcode with a client ID only, else tba
Token-Based Authentication:
  NETSUITE_CONSUMER_KEY      --consumer-key   integration record's consumer key
  NETSUITE_CONSUMER_SECRET   --consumer-secret-file FILE (or NETSUITE_CONSUMER_SECRET_FILE)
  NETSUITE_TOKEN_ID          --token-id       access token ID
  NETSUITE_TOKEN_SECRET      --token-secret-file FILE (or NETSUITE_TOKEN_SECRET_FILE)
OAuth 2.0 client credentials (machine to machine):
  NETSUITE_CLIENT_ID         --client-id      integration record's client ID
  NETSUITE_CERTIFICATE_ID    --certificate-id Certificate ID from the M2M setup page
  NETSUITE_PRIVATE_KEY       --private-key FILE   path of the private key: PEM (may hold the certificate too) or .pfx
  NETSUITE_PRIVATE_KEY_PASSWORD --private-key-password-file FILE   password of an encrypted PEM key or .pfx
  NETSUITE_CERTIFICATE       --certificate FILE   path of the PEM certificate (optional; checked against the key)
  NETSUITE_PFX               --pfx FILE       path of a .pfx/.p12 holding key and certificate
  NETSUITE_PFX_PASSWORD      --pfx-password-file FILE (or NETSUITE_PFX_PASSWORD_FILE)
  NETSUITE_ALGORITHM         --algorithm      PS256 (RSA default), PS384, PS512, ES256/384/512 (EC)
  NETSUITE_SCOPES            --scopes         comma-separated; default rest_webservices
OAuth 2.0 authorization code (nsauth login once, then every command refreshes by itself):
  NETSUITE_CLIENT_ID         --client-id      integration record's client ID
  NETSUITE_CLIENT_SECRET     --client-secret-file FILE (or NETSUITE_CLIENT_SECRET_FILE); none for a public client
  NETSUITE_REDIRECT_URL      --redirect-url   the integration's redirect URI; default http://127.0.0.1:8765/callback
  NETSUITE_TOKEN_FILE        --token-file     where tokens are kept; default <user config dir>/nsauth/<account>.json
Secrets are read from the environment or from files, never from flag values,
and are never printed.`

func (f *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.account, "account", "", "account ID or NetSuite URL (env NETSUITE_ACCOUNT_ID)")
	fs.StringVar(&f.baseURL, "base-url", "", "REST base URL (env NETSUITE_BASE_URL)")
	fs.StringVar(&f.consumerKey, "consumer-key", "", "TBA consumer key (env NETSUITE_CONSUMER_KEY)")
	fs.StringVar(&f.tokenID, "token-id", "", "TBA token ID (env NETSUITE_TOKEN_ID)")
	fs.StringVar(&f.consumerSecretFile, "consumer-secret-file", "", "file holding the TBA consumer secret (env NETSUITE_CONSUMER_SECRET or NETSUITE_CONSUMER_SECRET_FILE)")
	fs.StringVar(&f.tokenSecretFile, "token-secret-file", "", "file holding the TBA token secret (env NETSUITE_TOKEN_SECRET or NETSUITE_TOKEN_SECRET_FILE)")
	fs.StringVar(&f.auth, "auth", "", "tba, m2m or authcode (env NETSUITE_AUTH); default from the settings present")
	f.m2m.register(fs)
	f.authCode.register(fs)
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up after this long (login: default 5m)")
}

// setting returns the flag value, else the environment variable.
func setting(env *environment, flagValue, name string) string {
	if flagValue != "" {
		return flagValue
	}
	return env.getenv(name)
}

// secret returns a secret from the environment variable NAME or from the
// file named by the flag or by NAME_FILE — one of them, not both. One
// trailing line break of a file is dropped.
func secret(env *environment, file, name string) (string, error) {
	fileSetting := "--" + flagName(name) + "-file"
	if file == "" {
		file, fileSetting = env.getenv(name+"_FILE"), name+"_FILE"
	}
	value := env.getenv(name)
	switch {
	case file == "":
		return value, nil
	case value != "":
		return "", fmt.Errorf("both %s and %s are set: use one", name, fileSetting)
	}
	b, err := readSettingFile(fileSetting, file)
	if err != nil {
		return "", err
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if s == "" {
		return "", fmt.Errorf("%s names an empty file", fileSetting)
	}
	return s, nil
}

// flagName turns NETSUITE_TOKEN_SECRET into token-secret.
func flagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, "NETSUITE_")), "_", "-")
}

// readSettingFile reads the file a setting names. Its errors never repeat
// the setting's value: a secret pasted where a path belongs must not be
// printed.
func readSettingFile(setting, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return b, nil
	}
	why := "cannot read it"
	shown := " (the path is not shown, in case a secret was pasted there)"
	switch {
	case looksLikeValue(path):
		why = "it must name a file, but it looks like the value itself"
	case errors.Is(err, fs.ErrNotExist):
		why = "no such file"
	case errors.Is(err, fs.ErrPermission):
		why = "permission denied"
	default:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			why = pe.Err.Error()
		}
	}
	return nil, fmt.Errorf("%s: %s%s", setting, why, shown)
}

// looksLikeValue reports whether a "path" is more likely a pasted value.
func looksLikeValue(path string) bool {
	return strings.Contains(path, "-----BEGIN") || strings.ContainsAny(path, "\n\r") || len(path) > 1024
}

// config builds the netsuite.Config from flags and environment.
func (f *connFlags) config(env *environment) (netsuite.Config, error) {
	cfg := netsuite.Config{
		AccountID: setting(env, f.account, "NETSUITE_ACCOUNT_ID"),
		BaseURL:   setting(env, f.baseURL, "NETSUITE_BASE_URL"),
		UserAgent: "nsauth",
	}
	if cfg.AccountID == "" && cfg.BaseURL == "" {
		return cfg, errors.New("no account: set NETSUITE_ACCOUNT_ID (or --account), e.g. 1234567_SB1")
	}
	if cfg.AccountID != "" {
		if _, err := netsuite.ParseAccount(cfg.AccountID); err != nil {
			return cfg, cliError(err)
		}
	}
	if f.timeout <= 0 {
		return cfg, fmt.Errorf("--timeout %s: give a positive duration, e.g. 30s", f.timeout)
	}
	auth, err := f.authKind(env)
	if err != nil {
		return cfg, err
	}
	switch auth {
	case "tba":
		cfg.Auth, err = f.tba(env)
	case "m2m":
		cfg.Auth, err = f.m2m.credentials(env)
	case "authcode":
		cfg.Auth, err = f.authCode.authorizationCode(env, setting(env, f.m2m.clientID, "NETSUITE_CLIENT_ID"),
			cfg.AccountID, setting(env, f.m2m.scopes, "NETSUITE_SCOPES"))
	}
	return cfg, err
}

// authKind returns tba or m2m: as set, or from the settings present.
func (f *connFlags) authKind(env *environment) (string, error) {
	switch auth := strings.ToLower(setting(env, f.auth, "NETSUITE_AUTH")); auth {
	case "tba", "m2m", "authcode":
		return auth, nil
	case "client_credentials":
		return "m2m", nil
	case "authorization_code":
		return "authcode", nil
	case "":
	default:
		return "", fmt.Errorf("--auth %q: want tba, m2m or authcode", auth)
	}
	hasTBA := setting(env, f.consumerKey, "NETSUITE_CONSUMER_KEY") != "" || setting(env, f.tokenID, "NETSUITE_TOKEN_ID") != ""
	hasM2M := setting(env, f.m2m.certificateID, "NETSUITE_CERTIFICATE_ID") != ""
	hasOAuth2 := hasM2M || setting(env, f.m2m.clientID, "NETSUITE_CLIENT_ID") != ""
	switch {
	case hasTBA && hasOAuth2:
		return "", errors.New("both TBA settings (NETSUITE_CONSUMER_KEY, NETSUITE_TOKEN_ID) and OAuth 2.0 settings " +
			"(NETSUITE_CLIENT_ID, NETSUITE_CERTIFICATE_ID) are set: choose with --auth tba, m2m or authcode")
	case hasM2M:
		return "m2m", nil
	case hasOAuth2:
		return "authcode", nil
	}
	return "tba", nil
}

// tba builds TBA credentials from flags and environment.
func (f *connFlags) tba(env *environment) (netsuite.Authenticator, error) {
	tba := netsuite.TBA{
		ConsumerKey: setting(env, f.consumerKey, "NETSUITE_CONSUMER_KEY"),
		TokenID:     setting(env, f.tokenID, "NETSUITE_TOKEN_ID"),
	}
	var err error
	if tba.ConsumerSecret, err = secret(env, f.consumerSecretFile, "NETSUITE_CONSUMER_SECRET"); err != nil {
		return nil, err
	}
	if tba.TokenSecret, err = secret(env, f.tokenSecretFile, "NETSUITE_TOKEN_SECRET"); err != nil {
		return nil, err
	}
	if err := requireSettings(map[string]string{
		"NETSUITE_CONSUMER_KEY": tba.ConsumerKey, "NETSUITE_CONSUMER_SECRET": tba.ConsumerSecret,
		"NETSUITE_TOKEN_ID": tba.TokenID, "NETSUITE_TOKEN_SECRET": tba.TokenSecret,
	}); err != nil {
		return nil, err
	}
	return tba, nil
}

// requireSettings reports the settings that are empty.
func requireSettings(settings map[string]string) error {
	var missing []string
	for name, v := range settings {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("no credentials: set %s (see 'nsauth help test')", strings.Join(missing, ", "))
}

// settingNames maps the library's field names to the CLI's settings.
var settingNames = map[string]string{
	"Config.AccountID":                "NETSUITE_ACCOUNT_ID",
	"Config.BaseURL":                  "NETSUITE_BASE_URL",
	"account":                         "NETSUITE_ACCOUNT_ID",
	"TBA.ConsumerKey":                 "NETSUITE_CONSUMER_KEY",
	"TBA.ConsumerSecret":              "NETSUITE_CONSUMER_SECRET",
	"TBA.TokenID":                     "NETSUITE_TOKEN_ID",
	"TBA.TokenSecret":                 "NETSUITE_TOKEN_SECRET",
	"ClientCredentials.ClientID":      "NETSUITE_CLIENT_ID",
	"ClientCredentials.CertificateID": "NETSUITE_CERTIFICATE_ID",
	"ClientCredentials.Key":           "NETSUITE_PRIVATE_KEY",
	"ClientCredentials.Certificate":   "NETSUITE_CERTIFICATE",
	"ClientCredentials.Algorithm":     "NETSUITE_ALGORITHM",
	"ClientCredentials.Scopes":        "NETSUITE_SCOPES",
	"AuthorizationCode.ClientID":      "NETSUITE_CLIENT_ID",
	"AuthorizationCode.ClientSecret":  "NETSUITE_CLIENT_SECRET",
	"AuthorizationCode.RedirectURL":   "NETSUITE_REDIRECT_URL",
	"AuthorizationCode.Scopes":        "NETSUITE_SCOPES",
}

// cliError names the CLI setting of a *netsuite.ConfigError next to the
// library's field name.
func cliError(err error) error {
	var ce *netsuite.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	if name, ok := settingNames[ce.Field]; ok {
		c := *ce
		c.Field = name + " (" + ce.Field + ")"
		if ce.Field == "account" {
			c.Field = name
		}
		return &c
	}
	return err
}

// newFlagSet returns a FlagSet that prints its usage to env.stderr.
func newFlagSet(env *environment, name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: %s\n\n%s\n", strings.TrimSpace("nsauth "+name+" "+args), about)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(env.stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses flags and reports the exit code when it should stop now.
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	return 0, false
}

// wantArgs checks the number of arguments, explaining a wrong count.
func wantArgs(env *environment, fs *flag.FlagSet, n int, what string) bool {
	if fs.NArg() == n {
		return true
	}
	fmt.Fprintf(env.stderr, "nsauth %s: want %s, got %d argument(s)\n\n", fs.Name(), what, fs.NArg())
	fs.Usage()
	return false
}
