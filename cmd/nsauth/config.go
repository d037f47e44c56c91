package main

import (
	"errors"
	"flag"
	"fmt"
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
	timeout              time.Duration
}

const envHelp = `Settings (a flag wins over its environment variable):
  NETSUITE_ACCOUNT_ID        --account        account ID, e.g. 1234567_SB1 (or any NetSuite URL)
  NETSUITE_BASE_URL          --base-url       REST base URL; default https://<account>.suitetalk.api.netsuite.com
  NETSUITE_AUTH              --auth           tba or m2m; default: m2m when a certificate ID is set, else tba
Token-Based Authentication:
  NETSUITE_CONSUMER_KEY      --consumer-key   integration record's consumer key
  NETSUITE_CONSUMER_SECRET   --consumer-secret-file FILE (or NETSUITE_CONSUMER_SECRET_FILE)
  NETSUITE_TOKEN_ID          --token-id       access token ID
  NETSUITE_TOKEN_SECRET      --token-secret-file FILE (or NETSUITE_TOKEN_SECRET_FILE)
OAuth 2.0 client credentials (machine to machine):
  NETSUITE_CLIENT_ID         --client-id      integration record's client ID
  NETSUITE_CERTIFICATE_ID    --certificate-id Certificate ID from the M2M setup page
  NETSUITE_PRIVATE_KEY       --private-key FILE   PEM private key (may hold the certificate too)
  NETSUITE_CERTIFICATE       --certificate FILE   PEM certificate (optional; checked against the key)
  NETSUITE_PFX               --pfx FILE       .pfx/.p12 instead of PEM files
  NETSUITE_PFX_PASSWORD      --pfx-password-file FILE (or NETSUITE_PFX_PASSWORD_FILE)
  NETSUITE_ALGORITHM         --algorithm      PS256 (RSA default), PS384, PS512, ES256/384/512 (EC)
  NETSUITE_SCOPES            --scopes         comma-separated; default rest_webservices
Secrets are read from the environment or from files, never from flag values,
and are never printed.`

func (f *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.account, "account", "", "account ID or NetSuite URL (env NETSUITE_ACCOUNT_ID)")
	fs.StringVar(&f.baseURL, "base-url", "", "REST base URL (env NETSUITE_BASE_URL)")
	fs.StringVar(&f.consumerKey, "consumer-key", "", "TBA consumer key (env NETSUITE_CONSUMER_KEY)")
	fs.StringVar(&f.tokenID, "token-id", "", "TBA token ID (env NETSUITE_TOKEN_ID)")
	fs.StringVar(&f.consumerSecretFile, "consumer-secret-file", "", "file holding the TBA consumer secret (env NETSUITE_CONSUMER_SECRET or NETSUITE_CONSUMER_SECRET_FILE)")
	fs.StringVar(&f.tokenSecretFile, "token-secret-file", "", "file holding the TBA token secret (env NETSUITE_TOKEN_SECRET or NETSUITE_TOKEN_SECRET_FILE)")
	fs.StringVar(&f.auth, "auth", "", "tba or m2m (env NETSUITE_AUTH); default from the settings present")
	f.m2m.register(fs)
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up after this long")
}

// setting returns the flag value, else the environment variable.
func setting(env *environment, flagValue, name string) string {
	if flagValue != "" {
		return flagValue
	}
	return env.getenv(name)
}

// secret returns a secret from a file (flag, then NAME_FILE) or from the
// environment variable NAME. One trailing line break of a file is dropped.
func secret(env *environment, file, name string) (string, error) {
	if file == "" {
		file = env.getenv(name + "_FILE")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading %s from a file: %w", name, err)
		}
		s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		return s, nil
	}
	return env.getenv(name), nil
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
	auth := setting(env, f.auth, "NETSUITE_AUTH")
	if auth == "" {
		auth = "tba"
		if setting(env, f.m2m.certificateID, "NETSUITE_CERTIFICATE_ID") != "" {
			auth = "m2m"
		}
	}
	var err error
	switch strings.ToLower(auth) {
	case "tba":
		cfg.Auth, err = f.tba(env)
	case "m2m", "client_credentials":
		cfg.Auth, err = f.m2m.credentials(env)
	default:
		err = fmt.Errorf("--auth %q: want tba or m2m", auth)
	}
	return cfg, err
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

// newFlagSet returns a FlagSet that prints its usage to env.stderr.
func newFlagSet(env *environment, name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: nsauth %s %s\n\n%s\n\nFlags:\n", name, args, about)
		fs.PrintDefaults()
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
