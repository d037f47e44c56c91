package main

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/suitekit/netsuite"
	"github.com/suitekit/netsuite/internal/keys"
)

// m2mFlags are the client-credentials settings.
type m2mFlags struct {
	clientID, certificateID string
	privateKey, certificate string
	keyPasswordFile         string
	pfx, pfxPasswordFile    string
	algorithm, scopes       string
}

func (f *m2mFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.clientID, "client-id", "", "OAuth 2.0 client ID (env NETSUITE_CLIENT_ID)")
	fs.StringVar(&f.certificateID, "certificate-id", "", "M2M Certificate ID (env NETSUITE_CERTIFICATE_ID)")
	fs.StringVar(&f.privateKey, "private-key", "", "path of the private key, PEM or .pfx (env NETSUITE_PRIVATE_KEY)")
	fs.StringVar(&f.keyPasswordFile, "private-key-password-file", "", "file holding the password of an encrypted key (env NETSUITE_PRIVATE_KEY_PASSWORD or NETSUITE_PRIVATE_KEY_PASSWORD_FILE)")
	fs.StringVar(&f.certificate, "certificate", "", "path of the PEM certificate, optional (env NETSUITE_CERTIFICATE)")
	fs.StringVar(&f.pfx, "pfx", "", "path of a .pfx/.p12 with key and certificate (env NETSUITE_PFX)")
	fs.StringVar(&f.pfxPasswordFile, "pfx-password-file", "", "file holding the .pfx password (env NETSUITE_PFX_PASSWORD or NETSUITE_PFX_PASSWORD_FILE)")
	fs.StringVar(&f.algorithm, "algorithm", "", "JWS algorithm (env NETSUITE_ALGORITHM); default PS256 for RSA, ES* by curve")
	fs.StringVar(&f.scopes, "scopes", "", "comma-separated scopes (env NETSUITE_SCOPES); default rest_webservices")
}

// credentials builds ClientCredentials from flags and environment.
func (f *m2mFlags) credentials(env *environment) (netsuite.Authenticator, error) {
	cc := netsuite.ClientCredentials{
		ClientID:      setting(env, f.clientID, "NETSUITE_CLIENT_ID"),
		CertificateID: setting(env, f.certificateID, "NETSUITE_CERTIFICATE_ID"),
		Algorithm:     setting(env, f.algorithm, "NETSUITE_ALGORITHM"),
		Scopes:        splitScopes(setting(env, f.scopes, "NETSUITE_SCOPES")),
	}
	keyFile := setting(env, f.privateKey, "NETSUITE_PRIVATE_KEY")
	pfxFile := setting(env, f.pfx, "NETSUITE_PFX")
	if err := requireSettings(map[string]string{
		"NETSUITE_CLIENT_ID": cc.ClientID, "NETSUITE_CERTIFICATE_ID": cc.CertificateID,
		"NETSUITE_PRIVATE_KEY (or NETSUITE_PFX)": keyFile + pfxFile,
	}); err != nil {
		return nil, err
	}
	var err error
	switch {
	case keyFile != "" && pfxFile != "":
		return nil, errors.New("both NETSUITE_PRIVATE_KEY and NETSUITE_PFX are set: use one")
	case pfxFile != "":
		cc.Key, cc.Certificate, err = f.loadKey(env, "NETSUITE_PFX", pfxFile, f.pfxPasswordFile, "NETSUITE_PFX_PASSWORD")
	default:
		cc.Key, cc.Certificate, err = f.loadKey(env, "NETSUITE_PRIVATE_KEY", keyFile, f.keyPasswordFile, "NETSUITE_PRIVATE_KEY_PASSWORD")
	}
	if err != nil {
		return nil, err
	}
	if certFile := setting(env, f.certificate, "NETSUITE_CERTIFICATE"); certFile != "" {
		if cc.Certificate, err = loadCertificate(certFile, cc.Key); err != nil {
			return nil, err
		}
	}
	return cc, nil
}

// loadKey reads a PEM or PKCS#12 key file named by setting, with its
// password from passwordSetting (env, _FILE, or the flag's file).
func (f *m2mFlags) loadKey(env *environment, setting, path, passwordFile, passwordSetting string) (crypto.Signer, *x509.Certificate, error) {
	data, err := readSettingFile(setting, path)
	if err != nil {
		return nil, nil, err
	}
	password, err := secret(env, passwordFile, passwordSetting)
	if err != nil {
		return nil, nil, err
	}
	var key crypto.Signer
	var cert *x509.Certificate
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		key, cert, err = netsuite.LoadPEM(data, password)
	} else {
		key, cert, err = netsuite.LoadPKCS12(data, password)
	}
	switch {
	case err == nil:
		return key, cert, nil
	case password == "" && (errors.Is(err, netsuite.ErrWrongPassword) || errors.Is(err, keys.ErrEncryptedKey)):
		return nil, nil, fmt.Errorf("%s (%s): the file is encrypted and no password was given: set %s", setting, path, passwordSetting)
	case errors.Is(err, keys.ErrNoPrivateKey):
		return nil, nil, fmt.Errorf("%s (%s) holds no private key (is it the certificate? that goes in NETSUITE_CERTIFICATE)", setting, path)
	}
	return nil, nil, fmt.Errorf("%s (%s): %w", setting, path, err)
}

// loadCertificate reads NETSUITE_CERTIFICATE and picks the certificate of
// key.
func loadCertificate(path string, key crypto.Signer) (*x509.Certificate, error) {
	data, err := readSettingFile("NETSUITE_CERTIFICATE", path)
	if err != nil {
		return nil, err
	}
	k, certs, err := keys.LoadPEM(data, "")
	switch {
	case err != nil:
		return nil, fmt.Errorf("NETSUITE_CERTIFICATE (%s): %w", path, err)
	case k != nil:
		return nil, fmt.Errorf("NETSUITE_CERTIFICATE (%s) holds a private key; it should name the certificate (the key goes in NETSUITE_PRIVATE_KEY)", path)
	case len(certs) == 0:
		return nil, fmt.Errorf("NETSUITE_CERTIFICATE (%s) holds no certificate", path)
	}
	leaf, _, err := keys.SelectLeaf(key.Public(), certs)
	if err != nil {
		return nil, fmt.Errorf("NETSUITE_CERTIFICATE (%s) is not the certificate of the key in NETSUITE_PRIVATE_KEY: %w", path, err)
	}
	return leaf, nil
}

func splitScopes(s string) []string {
	var out []string
	for _, scope := range strings.Split(s, ",") {
		if scope = strings.TrimSpace(scope); scope != "" {
			out = append(out, scope)
		}
	}
	return out
}
