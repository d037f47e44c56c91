package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/suitekit/netsuite/internal/filestore"
	"github.com/suitekit/netsuite/internal/keys"
)

// maxCertDays is NetSuite's limit on a certificate's validity.
const maxCertDays = 730

type keygenFlags struct {
	ec, dir, name, cn, pfxPasswordFile string
	rsaBits, days                      int
	pfx, force                         bool
}

func runKeygen(_ context.Context, env *environment, args []string) int {
	var f keygenFlags
	fs := newFlagSet(env, "keygen", "[flags]",
		"Writes a private key and a self-signed certificate that NetSuite accepts for OAuth 2.0 client\n"+
			"credentials (M2M): RSA-3072 for PS256 by default, or an EC key with --ec. The key file is\n"+
			"mode 0600 in a directory created 0700. Prints the upload steps and the x5t#256 thumbprint.")
	fs.StringVar(&f.ec, "ec", "", "make an EC key on this curve instead of RSA: P-256, P-384 or P-521")
	fs.IntVar(&f.rsaBits, "rsa-bits", 3072, "RSA key size: 3072 or 4096")
	fs.IntVar(&f.days, "days", maxCertDays, "certificate validity in days (NetSuite allows at most 730)")
	fs.StringVar(&f.dir, "out", ".", "directory to write the files to")
	fs.StringVar(&f.name, "name", "netsuite-m2m", "base name of the files: NAME.key.pem, NAME.cert.pem, NAME.pfx")
	fs.StringVar(&f.cn, "cn", "NetSuite M2M", "certificate subject common name")
	fs.BoolVar(&f.pfx, "pfx", false, "also write NAME.pfx (PKCS#12) with key and certificate")
	fs.StringVar(&f.pfxPasswordFile, "pfx-password-file", "", "file holding the password for the .pfx (or env NETSUITE_PFX_PASSWORD or NETSUITE_PFX_PASSWORD_FILE); default: no password")
	fs.BoolVar(&f.force, "force", false, "overwrite existing files")
	if code, stop := parse(fs, args); stop {
		return code
	}
	if !wantArgs(env, fs, 0, "no arguments") {
		return 2
	}
	rsaBitsSet := false
	fs.Visit(func(fl *flag.Flag) { rsaBitsSet = rsaBitsSet || fl.Name == "rsa-bits" })
	if rsaBitsSet && f.ec != "" {
		fmt.Fprintln(env.stderr, "nsauth keygen: --rsa-bits and --ec exclude each other: an EC key has no RSA size")
		return 2
	}
	if f.name == "" || strings.ContainsAny(f.name, `/\`) || f.name == "." || f.name == ".." {
		fmt.Fprintf(env.stderr, "nsauth keygen: --name %q: give a plain file name; the directory goes in --out\n", f.name)
		return 2
	}
	if err := keygen(env, &f); err != nil {
		fmt.Fprintln(env.stderr, "nsauth keygen:", err)
		return 1
	}
	return 0
}

func keygen(env *environment, f *keygenFlags) error {
	if f.days < 1 || f.days > maxCertDays {
		return fmt.Errorf("--days %d: NetSuite accepts certificates valid for 1 to %d days (two years)", f.days, maxCertDays)
	}
	key, alg, err := newKey(f.ec, f.rsaBits)
	if err != nil {
		return err
	}
	now := time.Now().Add(-time.Minute)
	cert, err := keys.SelfSign(key, f.cn, now, now.Add(time.Duration(f.days)*24*time.Hour))
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	base := filepath.Join(f.dir, f.name)
	files := []outFile{
		{base + ".key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600},
		{base + ".cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644},
	}
	if f.pfx {
		password, err := secret(env, f.pfxPasswordFile, "NETSUITE_PFX_PASSWORD")
		if err != nil {
			return err
		}
		pfx, err := pkcs12.Modern.Encode(key, cert, nil, password)
		if err != nil {
			return fmt.Errorf("writing the .pfx: %w", err)
		}
		files = append(files, outFile{base + ".pfx", pfx, 0o600})
	}
	for _, file := range files {
		if err := writeNew(file.path, file.data, file.mode, f.force); err != nil {
			return err
		}
	}
	sum := sha256.Sum256(cert.Raw)
	fmt.Fprintf(env.stdout, `Wrote:
  %s   private key (mode 0600; keep it secret, never upload it)
  %s  certificate, valid until %s (upload this one)
`, files[0].path, files[1].path, cert.NotAfter.UTC().Format(time.DateOnly))
	if f.pfx {
		fmt.Fprintf(env.stdout, "  %s        key and certificate as PKCS#12 (mode 0600)\n", files[2].path)
	}
	fmt.Fprintf(env.stdout, `
Algorithm: %s    x5t#256: %s

In NetSuite:
  1. Setup > Integration > Manage Integrations: the integration record needs the
     "Client Credentials (Machine to Machine)" grant; note its Client ID.
  2. Setup > Integration > OAuth 2.0 Client Credentials (M2M) Setup > Create New:
     pick the entity, role and application, and upload %s.
  3. Copy the Certificate ID it shows.

Then test it:
  NETSUITE_ACCOUNT_ID=<account> NETSUITE_CLIENT_ID=<client id> \
  NETSUITE_CERTIFICATE_ID=<certificate id> NETSUITE_PRIVATE_KEY=%s \
  NETSUITE_CERTIFICATE=%s nsauth test
`, alg, base64.RawURLEncoding.EncodeToString(sum[:]), files[1].path, files[0].path, files[1].path)
	return nil
}

// outFile is a file keygen writes.
type outFile struct {
	path string
	data []byte
	mode os.FileMode
}

// newKey makes an RSA or EC key and names the algorithm that fits it.
func newKey(curve string, rsaBits int) (crypto.Signer, string, error) {
	switch curve {
	case "":
		if rsaBits != 3072 && rsaBits != 4096 {
			return nil, "", fmt.Errorf("--rsa-bits %d: NetSuite accepts RSA keys of 3072 or 4096 bits", rsaBits)
		}
		k, err := rsa.GenerateKey(rand.Reader, rsaBits)
		return k, "PS256", err
	case "P-256", "p256", "P256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return k, "ES256", err
	case "P-384", "p384", "P384":
		k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		return k, "ES384", err
	case "P-521", "p521", "P521":
		k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		return k, "ES512", err
	}
	return nil, "", fmt.Errorf("--ec %q: NetSuite accepts the curves P-256, P-384 and P-521", curve)
}

// writeNew writes a file atomically (never through a symlink) with mode,
// refusing to replace an existing one unless force.
func writeNew(path string, data []byte, mode os.FileMode, force bool) error {
	if _, err := os.Lstat(path); err == nil && !force {
		return fmt.Errorf("%s exists; use --force to replace it, or --name/--out for another file", path)
	}
	if err := filestore.New(path).Save(data); err != nil { // 0600, temp file + rename
		return err
	}
	if mode != 0o600 {
		return os.Chmod(path, mode)
	}
	return nil
}
