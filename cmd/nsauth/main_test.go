package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/suitekit/netsuite/netsuitetest"
)

// runCLI runs nsauth in-process with the given environment.
func runCLI(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code = run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func TestDemo(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "demo")
	require.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "0 failed")
	assert.Contains(t, out, "View Login Audit Trail")
}

func TestUsage(t *testing.T) {
	code, _, errOut := runCLI(t, nil)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "Commands:")
	code, _, errOut = runCLI(t, nil, "frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown command "frobnicate"`)
	for name := range commands {
		code, _, errOut = runCLI(t, nil, "help", name)
		assert.Equal(t, 0, code, name)
		assert.Contains(t, errOut, "Usage: nsauth "+name)
	}
}

func TestInspect(t *testing.T) {
	code, out, _ := runCLI(t, nil, "inspect", "https://1234567-SB1.app.netsuite.com/app/center/card.nl")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "1234567_SB1")
	assert.Contains(t, out, "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token")
	assert.Contains(t, out, "sandbox")
	code, _, errOut := runCLI(t, nil, "inspect", "1234567.evil.example")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not a NetSuite service host")
}

// fakeEnv returns NETSUITE_* variables for a netsuitetest server.
func fakeEnv(srv *netsuitetest.Server) map[string]string {
	c := srv.TBA()
	return map[string]string{
		"NETSUITE_ACCOUNT_ID": srv.AccountID(), "NETSUITE_BASE_URL": srv.URL,
		"NETSUITE_CONSUMER_KEY": c.ConsumerKey, "NETSUITE_CONSUMER_SECRET": c.ConsumerSecret,
		"NETSUITE_TOKEN_ID": c.TokenID, "NETSUITE_TOKEN_SECRET": c.TokenSecret,
	}
}

func TestTestCommand(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	vars := fakeEnv(srv)

	t.Run("works", func(t *testing.T) {
		code, out, _ := runCLI(t, vars, "test")
		assert.Equal(t, 0, code, out)
		assert.Contains(t, out, "connection works")
		assertNoSecrets(t, out, vars)
	})
	t.Run("bad account ID", func(t *testing.T) {
		bad := clone(vars)
		bad["NETSUITE_BASE_URL"] = ""
		code, out, _ := runCLI(t, bad, "test", "--account", "1234567.sb1")
		assert.Equal(t, 1, code)
		assert.Contains(t, out, "[FAILED] configuration")
		assert.Contains(t, out, "NETSUITE_ACCOUNT_ID")
		assert.Contains(t, out, "did you mean 1234567_SB1?")
	})
	t.Run("wrong secret", func(t *testing.T) {
		bad := clone(vars)
		bad["NETSUITE_TOKEN_SECRET"] = "wrong-secret-value"
		code, out, _ := runCLI(t, bad, "test")
		assert.Equal(t, 1, code)
		assert.Contains(t, out, "401 Unauthorized")
		assert.Contains(t, out, "hint: ")
		assert.Contains(t, out, "View Login Audit Trail")
		assertNoSecrets(t, out, bad)
	})
	t.Run("secret from file with trailing newline", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "ts")
		require.NoError(t, os.WriteFile(file, []byte(vars["NETSUITE_TOKEN_SECRET"]+"\n"), 0o600))
		v := clone(vars)
		delete(v, "NETSUITE_TOKEN_SECRET")
		code, out, _ := runCLI(t, v, "test", "--token-secret-file", file)
		assert.Equal(t, 0, code, out)
	})
	t.Run("missing credentials", func(t *testing.T) {
		v := clone(vars)
		delete(v, "NETSUITE_CONSUMER_SECRET")
		code, out, _ := runCLI(t, v, "test")
		assert.Equal(t, 1, code)
		assert.Contains(t, out, "NETSUITE_CONSUMER_SECRET")
	})
	t.Run("secret with white space", func(t *testing.T) {
		v := clone(vars)
		v["NETSUITE_CONSUMER_SECRET"] += " "
		code, out, _ := runCLI(t, v, "test")
		assert.Equal(t, 1, code)
		assert.Contains(t, out, "TBA.ConsumerSecret")
		assert.Contains(t, out, "white space")
	})
}

func TestRequestCommand(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	vars := fakeEnv(srv)
	code, out, errOut := runCLI(t, vars, "request", "GET", "/services/rest/record/v1/customer/107")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Wolfe Electronics")

	code, out, errOut = runCLI(t, vars, "request", "--header", "Prefer: transient", "--data", `{"q":"SELECT id FROM customer"}`,
		"post", "services/rest/query/v1/suiteql")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"count":2`)

	code, _, errOut = runCLI(t, vars, "request", "GET", "/services/rest/record/v1/customer/999")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "404")
	assert.Contains(t, errOut, "NONEXISTENT_ID")

	code, _, errOut = runCLI(t, vars, "request", "GET", "https://evil.example/x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "untrusted host")
}

func clone(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func assertNoSecrets(t *testing.T, out string, vars map[string]string) {
	t.Helper()
	for k, v := range vars {
		if strings.Contains(k, "SECRET") && v != "" {
			assert.NotContains(t, out, v, k)
		}
	}
}

func TestKeygenThenM2MTest(t *testing.T) {
	for _, args := range [][]string{{}, {"--ec", "P-384"}} {
		t.Run(strings.Join(append([]string{"keygen"}, args...), " "), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			code, out, errOut := runCLI(t, map[string]string{"NETSUITE_PFX_PASSWORD": "pfx-pw"}, append([]string{"keygen", "--out", dir, "--pfx"}, args...)...)
			require.Equal(t, 0, code, errOut)
			assert.Contains(t, out, "x5t#256")
			assert.Contains(t, out, "OAuth 2.0 Client Credentials (M2M) Setup")
			for name, mode := range map[string]os.FileMode{"netsuite-m2m.key.pem": 0o600, "netsuite-m2m.cert.pem": 0o644, "netsuite-m2m.pfx": 0o600} {
				st, err := os.Stat(filepath.Join(dir, name))
				require.NoError(t, err)
				assert.Equal(t, mode, st.Mode().Perm(), name)
			}
			st, _ := os.Stat(dir)
			assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())

			// Upload the certificate to the fake, then test with the key, and with the .pfx.
			srv := netsuitetest.NewServer()
			defer srv.Close()
			certPEM, err := os.ReadFile(filepath.Join(dir, "netsuite-m2m.cert.pem"))
			require.NoError(t, err)
			block, _ := pem.Decode(certPEM)
			cert, err := x509.ParseCertificate(block.Bytes)
			require.NoError(t, err)
			srv.AddM2M(netsuitetest.M2MClient{ClientID: "cli", CertificateID: "cert-1", Certificate: cert})
			base := map[string]string{"NETSUITE_ACCOUNT_ID": srv.AccountID(), "NETSUITE_BASE_URL": srv.URL,
				"NETSUITE_CLIENT_ID": "cli", "NETSUITE_CERTIFICATE_ID": "cert-1"}
			pemEnv := clone(base)
			pemEnv["NETSUITE_PRIVATE_KEY"] = filepath.Join(dir, "netsuite-m2m.key.pem")
			pemEnv["NETSUITE_CERTIFICATE"] = filepath.Join(dir, "netsuite-m2m.cert.pem")
			code, out, _ = runCLI(t, pemEnv, "test")
			assert.Equal(t, 0, code, out)
			assert.Contains(t, out, "ClientCredentials")

			pfxEnv := clone(base)
			pfxEnv["NETSUITE_PFX"] = filepath.Join(dir, "netsuite-m2m.pfx")
			pfxEnv["NETSUITE_PFX_PASSWORD"] = "pfx-pw"
			code, out, _ = runCLI(t, pfxEnv, "test")
			assert.Equal(t, 0, code, out)
			assert.NotContains(t, out, "pfx-pw")

			pfxEnv["NETSUITE_PFX_PASSWORD"] = "wrong"
			code, out, _ = runCLI(t, pfxEnv, "test")
			assert.Equal(t, 1, code)
			assert.Contains(t, out, "password")

			// keygen refuses to overwrite.
			code, _, errOut = runCLI(t, nil, append([]string{"keygen", "--out", dir}, args...)...)
			assert.Equal(t, 1, code)
			assert.Contains(t, errOut, "exists")
		})
	}
}

func TestKeygenRejects(t *testing.T) {
	for _, args := range [][]string{{"--days", "731"}, {"--rsa-bits", "2048"}, {"--ec", "secp256k1"}} {
		code, _, errOut := runCLI(t, nil, append([]string{"keygen", "--out", t.TempDir()}, args...)...)
		assert.Equal(t, 1, code, args)
		assert.Contains(t, errOut, "NetSuite accepts", args)
	}
}

func TestM2MSettingsErrors(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	base := map[string]string{"NETSUITE_ACCOUNT_ID": srv.AccountID(), "NETSUITE_BASE_URL": srv.URL,
		"NETSUITE_CERTIFICATE_ID": "cert-1"}
	code, out, _ := runCLI(t, base, "test")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "NETSUITE_CLIENT_ID")
	assert.Contains(t, out, "NETSUITE_PRIVATE_KEY (or NETSUITE_PFX)")
	v := clone(base)
	v["NETSUITE_CLIENT_ID"] = "c"
	v["NETSUITE_PRIVATE_KEY"] = "/nonexistent/key.pem"
	code, out, _ = runCLI(t, v, "test")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "no such file")
	code, out, _ = runCLI(t, v, "test", "--auth", "kerberos")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "want tba, m2m or authcode")
}

func TestSecretSettingsNeverEchoed(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	const sentinel = "SENTINEL-SECRET-123"
	pemValue := "-----BEGIN PRIVATE KEY-----\nMIIG" + sentinel + "\n-----END PRIVATE KEY-----\n"
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"secret file setting holding the secret", map[string]string{"NETSUITE_CONSUMER_SECRET_FILE": sentinel}, nil, "no such file (the path is not shown"},
		{"secret flag holding the secret", nil, []string{"--token-secret-file", sentinel}, "--token-secret-file: no such file"},
		{"key setting holding the PEM", map[string]string{"NETSUITE_CLIENT_ID": "c", "NETSUITE_CERTIFICATE_ID": "k", "NETSUITE_PRIVATE_KEY": pemValue}, nil,
			"NETSUITE_PRIVATE_KEY: it must name a file, but it looks like the value itself"},
		{"pfx password file holding the password", map[string]string{"NETSUITE_CLIENT_ID": "c", "NETSUITE_CERTIFICATE_ID": "k",
			"NETSUITE_PFX": "../../testdata/keys/rsa3072-openssl3.pfx", "NETSUITE_PFX_PASSWORD_FILE": sentinel}, nil, "NETSUITE_PFX_PASSWORD_FILE: no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := fakeEnv(srv)
			delete(v, "NETSUITE_CONSUMER_SECRET")
			delete(v, "NETSUITE_TOKEN_SECRET")
			if tt.vars["NETSUITE_CLIENT_ID"] != "" {
				v = map[string]string{"NETSUITE_ACCOUNT_ID": srv.AccountID(), "NETSUITE_BASE_URL": srv.URL}
			}
			for k, val := range tt.vars {
				v[k] = val
			}
			code, out, errOut := runCLI(t, v, append([]string{"test"}, tt.args...)...)
			assert.Equal(t, 1, code)
			assert.Contains(t, out+errOut, tt.want)
			assert.NotContains(t, out+errOut, sentinel)
		})
	}
}

func TestSettingConflicts(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	tests := []struct {
		name   string
		mutate func(map[string]string)
		args   []string
		want   string
	}{
		{"value and file", func(v map[string]string) { v["NETSUITE_TOKEN_SECRET_FILE"] = empty }, nil, "both NETSUITE_TOKEN_SECRET and NETSUITE_TOKEN_SECRET_FILE are set"},
		{"empty file", func(v map[string]string) { delete(v, "NETSUITE_TOKEN_SECRET"); v["NETSUITE_TOKEN_SECRET_FILE"] = empty }, nil, "NETSUITE_TOKEN_SECRET_FILE names an empty file"},
		{"tba and m2m", func(v map[string]string) { v["NETSUITE_CERTIFICATE_ID"] = "x" }, nil, "choose with --auth tba, m2m or authcode"},
		{"tba chosen explicitly", func(v map[string]string) { v["NETSUITE_CERTIFICATE_ID"] = "x" }, []string{"--auth", "tba"}, "connection works"},
		{"zero timeout", func(map[string]string) {}, []string{"--timeout", "0s"}, "--timeout 0s: give a positive duration"},
		{"wrong realm spelling is a field error", func(v map[string]string) { v["NETSUITE_CONSUMER_SECRET"] += " " }, nil, "NETSUITE_CONSUMER_SECRET (TBA.ConsumerSecret)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := fakeEnv(srv)
			tt.mutate(v)
			_, out, errOut := runCLI(t, v, append([]string{"test"}, tt.args...)...)
			assert.Contains(t, out+errOut, tt.want)
		})
	}
}

func TestM2MKeyFiles(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	base := map[string]string{"NETSUITE_ACCOUNT_ID": srv.AccountID(), "NETSUITE_BASE_URL": srv.URL,
		"NETSUITE_CLIENT_ID": "c", "NETSUITE_CERTIFICATE_ID": "k"}
	keys := "../../testdata/keys/"
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"certificate given as the key", map[string]string{"NETSUITE_PRIVATE_KEY": keys + "rsa3072.cert.pem"}, "holds no private key (is it the certificate?"},
		{"pfx given as the key, no password", map[string]string{"NETSUITE_PRIVATE_KEY": keys + "rsa3072-openssl3.pfx"}, "encrypted and no password was given: set NETSUITE_PRIVATE_KEY_PASSWORD"},
		{"pfx without password", map[string]string{"NETSUITE_PFX": keys + "rsa3072-openssl3.pfx"}, "set NETSUITE_PFX_PASSWORD"},
		{"encrypted PEM without password", map[string]string{"NETSUITE_PRIVATE_KEY": keys + "rsa3072-enc-aes256.key.pem"}, "set NETSUITE_PRIVATE_KEY_PASSWORD"},
		{"certificate of another key", map[string]string{"NETSUITE_PRIVATE_KEY": keys + "rsa3072.key.pem", "NETSUITE_CERTIFICATE": keys + "ec-p256.cert.pem"},
			"NETSUITE_CERTIFICATE (../../testdata/keys/ec-p256.cert.pem) is not the certificate of the key"},
		{"key given as the certificate", map[string]string{"NETSUITE_PRIVATE_KEY": keys + "rsa3072.key.pem", "NETSUITE_CERTIFICATE": keys + "rsa3072.key.pem"},
			"holds a private key; it should name the certificate"},
		{"rsa 2048", map[string]string{"NETSUITE_PRIVATE_KEY": keys + "rsa2048.key.pem"}, "3072"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := clone(base)
			for k, val := range tt.vars {
				v[k] = val
			}
			code, out, errOut := runCLI(t, v, "test")
			assert.Equal(t, 1, code)
			assert.Contains(t, out+errOut, tt.want)
		})
	}
	t.Run("encrypted PEM with its password gets as far as the token endpoint", func(t *testing.T) {
		v := clone(base)
		v["NETSUITE_PRIVATE_KEY"] = keys + "rsa3072-enc-aes256.key.pem"
		v["NETSUITE_PRIVATE_KEY_PASSWORD"] = "test-password"
		_, out, _ := runCLI(t, v, "test")
		assert.Contains(t, out, "[ok]     configuration")
		assert.Contains(t, out, "invalid_client", "the fake does not know this certificate")
	})
}

func TestArgumentCounts(t *testing.T) {
	for _, args := range [][]string{{"inspect"}, {"inspect", "a", "b"}, {"test", "extra"}, {"request", "GET"}} {
		code, _, errOut := runCLI(t, nil, args...)
		assert.Equal(t, 2, code, args)
		assert.Contains(t, errOut, "got ", args)
	}
	code, _, errOut := runCLI(t, nil, "help", "frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown command "frobnicate"`)
}

func TestLoginTokenRevoke(t *testing.T) {
	for _, public := range []bool{false, true} {
		t.Run(map[bool]string{false: "confidential", true: "public"}[public], func(t *testing.T) {
			srv := netsuitetest.NewServer()
			defer srv.Close()
			ac := srv.AuthorizationCode()
			if public {
				ac = srv.PublicAuthorizationCode()
			}
			tokenFile := filepath.Join(t.TempDir(), "cfg", "tokens.json")
			vars := map[string]string{"NETSUITE_ACCOUNT_ID": srv.AccountID(), "NETSUITE_BASE_URL": srv.URL,
				"NETSUITE_CLIENT_ID": ac.ClientID, "NETSUITE_CLIENT_SECRET": ac.ClientSecret,
				"NETSUITE_REDIRECT_URL": ac.RedirectURL, "NETSUITE_TOKEN_FILE": tokenFile}
			var out, errb bytes.Buffer
			env := &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] },
				openBrowser: func(_ context.Context, u string) error {
					go func() {
						if resp, err := http.Get(u); err == nil {
							resp.Body.Close()
						}
					}()
					return nil
				}}
			code := run(context.Background(), env, []string{"login"})
			require.Equal(t, 0, code, errb.String())
			assert.Contains(t, out.String(), "Logged in to account "+srv.AccountID())
			assert.Contains(t, errb.String(), "Open this URL")
			st, err := os.Stat(tokenFile)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

			code, tok, _ := runCLI(t, vars, "token")
			require.Equal(t, 0, code)
			assert.Len(t, strings.TrimSpace(tok), 43)

			code, testOut, _ := runCLI(t, vars, "test")
			assert.Equal(t, 0, code, testOut)
			assert.NotContains(t, testOut, strings.TrimSpace(tok))
			if !public {
				assert.NotContains(t, testOut, ac.ClientSecret)
			}

			code, _, errOut := runCLI(t, vars, "revoke")
			require.Equal(t, 0, code, errOut)
			_, err = os.Stat(tokenFile)
			assert.True(t, os.IsNotExist(err))
			code, _, errOut = runCLI(t, vars, "token")
			assert.Equal(t, 1, code)
			assert.Contains(t, errOut, "nsauth login")
		})
	}
}

func TestTokenCommandKinds(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	cc := srv.ClientCredentials()
	keyPEM, err := x509.MarshalPKCS8PrivateKey(cc.Key)
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "k.pem")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyPEM}), 0o600))
	m2m := map[string]string{"NETSUITE_ACCOUNT_ID": srv.AccountID(), "NETSUITE_BASE_URL": srv.URL,
		"NETSUITE_CLIENT_ID": cc.ClientID, "NETSUITE_CERTIFICATE_ID": cc.CertificateID, "NETSUITE_PRIVATE_KEY": keyFile}
	code, out, errOut := runCLI(t, m2m, "token")
	require.Equal(t, 0, code, errOut)
	assert.Len(t, strings.TrimSpace(out), 43, "a client-credentials token")

	code, _, errOut = runCLI(t, m2m, "revoke")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "client credentials (M2M) need no login or revocation")

	code, _, errOut = runCLI(t, fakeEnv(srv), "token")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "TBA signs each request and has no token")
}

func TestLoginChecksBeforeTheBrowser(t *testing.T) {
	srv := netsuitetest.NewServer()
	defer srv.Close()
	ac := srv.AuthorizationCode()
	vars := map[string]string{"NETSUITE_ACCOUNT_ID": srv.AccountID(), "NETSUITE_BASE_URL": srv.URL,
		"NETSUITE_CLIENT_ID": ac.ClientID, "NETSUITE_CLIENT_SECRET": ac.ClientSecret,
		"NETSUITE_REDIRECT_URL": ac.RedirectURL, "NETSUITE_TOKEN_FILE": t.TempDir()}
	code, _, errOut := runCLI(t, vars, "login", "--no-browser")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "is a directory: give the path of a file")
	assert.NotContains(t, errOut, "Open this URL", "no login is wasted")

	vars["NETSUITE_TOKEN_FILE"] = filepath.Join(t.TempDir(), "tokens.json")
	start := time.Now()
	code, _, errOut = runCLI(t, vars, "login", "--no-browser", "--timeout", "300ms")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no authorization arrived")
	assert.Less(t, time.Since(start), 5*time.Second, "--timeout is honoured")
}
