//go:build unix

package main

// Files the CLI writes (issue 7, item 4). Promises and the tests that prove
// them:
//
//  1. keygen writes the private key and the .pfx 0600 (the certificate
//     0644), in directories it creates 0700 — every level of a nested --out
//     — and --force over an existing 0644 key leaves it 0600:
//     TestKeygenFileModes (and TestKeygenThenM2MTest in main_test.go, which
//     also shows that keygen refuses to overwrite without --force).
//  2. login keeps tokens 0600 in a 0700 directory, also at the default path
//     <user config dir>/nsauth/<account>.json: TestLoginDefaultTokenFile.
//  3. A token file readable by others gets a warning (slog's default
//     logger, which the nsauth process writes to stderr), and the command
//     still works: TestLoginDefaultTokenFile.

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite/netsuitetest"
)

func perm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

func TestKeygenFileModes(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "a", "b", "keys")
	code, _, errOut := runCLI(t, map[string]string{"NETSUITE_PFX_PASSWORD": "pfx-password"}, "keygen", "--ec", "P-256", "--pfx", "--out", out)
	require.Equal(t, 0, code, errOut)
	for _, dir := range []string{"a", "a/b", "a/b/keys"} {
		assert.Equal(t, fs.FileMode(0o700), perm(t, filepath.Join(root, dir)), dir)
	}
	key := filepath.Join(out, "netsuite-m2m.key.pem")
	assert.Equal(t, fs.FileMode(0o600), perm(t, key))
	assert.Equal(t, fs.FileMode(0o600), perm(t, filepath.Join(out, "netsuite-m2m.pfx")))
	assert.Equal(t, fs.FileMode(0o644), perm(t, filepath.Join(out, "netsuite-m2m.cert.pem")))

	require.NoError(t, os.Chmod(key, 0o644))
	code, _, errOut = runCLI(t, nil, "keygen", "--ec", "P-256", "--out", out, "--force")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, fs.FileMode(0o600), perm(t, key), "--force over a 0644 key")
}

func TestLoginDefaultTokenFile(t *testing.T) {
	cfgHome := filepath.Join(t.TempDir(), "config")
	t.Setenv("XDG_CONFIG_HOME", cfgHome)
	t.Setenv("HOME", t.TempDir())
	want, err := os.UserConfigDir()
	require.NoError(t, err)
	srv := netsuitetest.NewServer()
	defer srv.Close()
	ac := srv.AuthorizationCode()
	vars := map[string]string{"NETSUITE_ACCOUNT_ID": srv.AccountID(), "NETSUITE_BASE_URL": srv.URL,
		"NETSUITE_CLIENT_ID": ac.ClientID, "NETSUITE_CLIENT_SECRET": ac.ClientSecret, "NETSUITE_REDIRECT_URL": ac.RedirectURL}
	var stdout, stderr bytes.Buffer
	env := &environment{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] },
		openBrowser: func(_ context.Context, u string) error {
			go func() {
				if resp, err := http.Get(u); err == nil {
					resp.Body.Close()
				}
			}()
			return nil
		}}
	require.Equal(t, 0, run(context.Background(), env, []string{"login"}), stderr.String())
	path := filepath.Join(want, "nsauth", srv.AccountID()+".json")
	assert.Contains(t, stdout.String(), path)
	assert.Equal(t, fs.FileMode(0o600), perm(t, path))
	assert.Equal(t, fs.FileMode(0o700), perm(t, filepath.Dir(path)))

	// Others can read it now: the next command warns, and still works.
	require.NoError(t, os.Chmod(path, 0o644))
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)
	code, tok, errOut := runCLI(t, vars, "token")
	require.Equal(t, 0, code, errOut)
	assert.NotEmpty(t, tok)
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), path)
	assert.Contains(t, logs.String(), "readable by other users")
	assert.NotContains(t, logs.String(), ac.ClientSecret)
}
